import {
  CheckpointError,
  cosignCheckpoint,
  defaultEd25519,
  type Ed25519Verifier,
  formatKeyId,
  NOTE_ALG_COSIGNATURE_V1,
  type NoteSigner,
  type NoteVerifierKey,
  parseCheckpointNote,
} from '@msi/core';
import type { MerkleHasher } from '@msi/merkle';
import type { AddCheckpointRequest } from '@msi/witness-client';
import { type Decision, decideAddCheckpoint } from './decide-add-checkpoint.js';
import { KeyedLock } from './keyed-lock.js';
import { WitnessError } from './witness-error.js';
import type { WitnessState } from './witness-state.js';

/** The answer to an add-checkpoint request: cosignature lines, or the refusal. */
export type AddCheckpointOutcome =
  | { readonly kind: 'cosigned'; readonly origin: string; readonly size: number; readonly lines: string }
  | Extract<Decision, { kind: 'refuse' }>;

/** What a witness is made of. The signer MUST be a 0x04 (cosignature) key. */
export interface WitnessOptions {
  readonly signer: NoteSigner;
  readonly logKeys: readonly NoteVerifierKey[];
  readonly state: WitnessState;
  readonly hasher: MerkleHasher;
  readonly ed?: Ed25519Verifier;
  /** Milliseconds since the epoch; the cosignature time is its whole seconds. */
  readonly nowMs: () => number;
}

/**
 * The witness logic without HTTP: decides each add-checkpoint request under a per-origin lock,
 * persists the new state, and only then cosigns.
 */
export class Witness {
  readonly #lock = new KeyedLock();
  readonly #logKeys: ReadonlyMap<string, readonly NoteVerifierKey[]>;
  /** Per origin, the newest checkpoint cosigned since start, with this witness's cosignature line. */
  readonly #newest = new Map<string, string>();

  constructor(private readonly options: WitnessOptions) {
    if (options.signer.algorithm !== NOTE_ALG_COSIGNATURE_V1) {
      throw new WitnessError('CONFIG_INVALID', `witness key ${options.signer.name} is not a 0x04 key`);
    }
    const byOrigin = new Map<string, NoteVerifierKey[]>();
    for (const key of options.logKeys) byOrigin.set(key.name, [...(byOrigin.get(key.name) ?? []), key]);
    this.#logKeys = byOrigin;
  }

  /** Handles one request (its body already parsed). Refusals are returned, never thrown. */
  async addCheckpoint(request: AddCheckpointRequest): Promise<AddCheckpointOutcome> {
    let origin: string;
    try {
      origin = parseCheckpointNote(request.checkpoint).checkpoint.origin;
    } catch (error: unknown) {
      if (!(error instanceof CheckpointError)) throw error;
      const message = `checkpoint: ${(error as Error).message}`;
      return { kind: 'refuse', code: 'REQUEST_MALFORMED', message, currentSize: 0 };
    }
    return this.#lock.run(origin, async () => {
      const decision = this.#decide(request);
      if (decision.kind === 'refuse') return decision;
      await this.options.state.commit(origin, decision.next);
      const time = Math.floor(this.options.nowMs() / 1000);
      const note = cosignCheckpoint(request.checkpoint, this.options.signer, time);
      this.#newest.set(origin, note);
      return { kind: 'cosigned', origin, size: decision.checkpoint.size, lines: lastLine(note) };
    });
  }

  /** The size it last cosigned for the origin (0 when none), from its durable state. */
  cosignedSize(origin: string): number {
    return this.options.state.get(origin)?.size ?? 0;
  }

  /**
   * The newest checkpoint of the origin cosigned since this process started: the log's note with the
   * witness's cosignature line appended (what monitors and distributors fetch), or undefined.
   */
  newestCosigned(origin: string): string | undefined {
    return this.#newest.get(origin);
  }

  /** The origins of the logs it witnesses. */
  get origins(): readonly string[] {
    return [...this.#logKeys.keys()];
  }

  /** The witness's key id, as 8 hex digits. */
  get keyId(): string {
    return formatKeyId(this.options.signer.keyId);
  }

  #decide(request: AddCheckpointRequest): Decision {
    const { state, hasher, ed = defaultEd25519() } = this.options;
    return decideAddCheckpoint(request, {
      logKeys: this.#logKeys,
      stateOf: (origin) => state.get(origin),
      hasher,
      ed,
    });
  }
}

/** The last line of a note (with its `\n`): the cosignature cosignCheckpoint appended. */
function lastLine(note: string): string {
  return note.slice(note.lastIndexOf('\n', note.length - 2) + 1);
}
