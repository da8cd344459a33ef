import { closeSync, openSync, readSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { ClaimTable, homeSlotOf, type IdWords } from './claim-table.js';

/**
 * A ClaimTable written to a file and probed there: the claim index's slices whose ids are older than
 * its memory horizon live on disk this way (docs/ARCHITECTURE.md, "Idempotency", Memory). A lookup
 * reads the run of slots from the key's home slot, 64 slots (1,280 bytes) at a time, and then the
 * position (8 bytes): two reads from the page cache, with no memory held per id.
 *
 * The file is the process's own scratch, rebuilt from the claims stream after a restart, so its
 * numbers are in the machine's byte order and it is never fsynced:
 *   bytes 0–7   "MSICLT01"
 *   8–11        slots (a power of two ≥ 16), 12–15 entries, 16–19 the table's hash seed, 20–23 zero
 *   24…         per slot 5 unsigned 32-bit key words (tenant number + 1, 0 = empty; the id's 4 words)
 *   then        per slot the position, a 64-bit float
 */
export class ClaimTableFile {
  readonly path: string;
  readonly slots: number;
  /** Entries held. */
  readonly size: number;
  readonly #seed: number;

  private constructor(path: string, slots: number, size: number, seed: number) {
    this.path = path;
    this.slots = slots;
    this.size = size;
    this.#seed = seed;
  }

  /** Writes `table` to a new file at `path`. */
  static async write(path: string, table: ClaimTable): Promise<ClaimTableFile> {
    const { keys, positions, size, seed } = table.state;
    const header = Buffer.alloc(HEADER_BYTES);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(positions.length, 8);
    header.writeUInt32LE(size, 12);
    header.writeUInt32LE(seed >>> 0, 16);
    const file = await open(path, 'wx');
    try {
      await file.writev([
        header,
        new Uint8Array(keys.buffer, keys.byteOffset, keys.byteLength),
        new Uint8Array(positions.buffer, positions.byteOffset, positions.byteLength),
      ]);
    } finally {
      await file.close();
    }
    return new ClaimTableFile(path, positions.length, size, seed);
  }

  /** Bytes on disk. */
  get bytes(): number {
    return HEADER_BYTES + this.slots * SLOT_BYTES;
  }

  /** The position stored for (tenant, id), or undefined; reads the file synchronously. */
  get(tenant: number, id: IdWords): number | undefined {
    const fd = openSync(this.path, 'r');
    try {
      const mark = tenant + 1;
      const mask = this.slots - 1;
      let slot = homeSlotOf(this.#seed, this.slots, tenant, id);
      for (let probed = 0; probed < this.slots; ) {
        const run = Math.min(PROBE_SLOTS, this.slots - slot);
        readFully(fd, probeBytes, run * KEY_BYTES, HEADER_BYTES + slot * KEY_BYTES);
        for (let i = 0; i < run; i++) {
          const at = i * 5;
          const held = probeWords[at];
          if (held === 0) return undefined;
          if (
            held === mark &&
            probeWords[at + 1] === id[0] &&
            probeWords[at + 2] === id[1] &&
            probeWords[at + 3] === id[2] &&
            probeWords[at + 4] === id[3]
          ) {
            readFully(fd, positionBytes, 8, HEADER_BYTES + this.slots * KEY_BYTES + (slot + i) * 8);
            return positionValue[0];
          }
        }
        probed += run;
        slot = (slot + run) & mask;
      }
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /** The whole table back in memory. */
  async load(): Promise<ClaimTable> {
    const keys = new Uint32Array(this.slots * 5);
    const positions = new Float64Array(this.slots);
    const file = await open(this.path, 'r');
    try {
      await readAll(file, new Uint8Array(keys.buffer), HEADER_BYTES);
      await readAll(file, new Uint8Array(positions.buffer), HEADER_BYTES + this.slots * KEY_BYTES);
    } finally {
      await file.close();
    }
    return ClaimTable.restore({ keys, positions, size: this.size, seed: this.#seed });
  }

  /** Deletes the file. */
  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

const MAGIC = 'MSICLT01';
const HEADER_BYTES = 24;
const KEY_BYTES = 20;
const SLOT_BYTES = KEY_BYTES + 8;
const PROBE_SLOTS = 64;

// Lookups are synchronous, so one set of read buffers serves every file.
const probeWords = new Uint32Array(PROBE_SLOTS * 5);
const probeBytes = new Uint8Array(probeWords.buffer);
const positionValue = new Float64Array(1);
const positionBytes = new Uint8Array(positionValue.buffer);

function readFully(fd: number, into: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, into, done, length - done, position + done);
    if (n === 0) throw new Error(`a claim table file ends at byte ${position + done}, before its slots do`);
    done += n;
  }
}

async function readAll(
  file: Awaited<ReturnType<typeof open>>,
  into: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await file.read(into, done, into.length - done, position + done);
    if (bytesRead === 0)
      throw new Error(`a claim table file ends at byte ${position + done}, before its slots do`);
    done += bytesRead;
  }
}
