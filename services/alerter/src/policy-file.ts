import { readFile, stat } from 'node:fs/promises';
import { type Policy, PolicyError, parsePolicy } from '@msi/policy';
import { every, type Logger, type RunningLoop } from '@msi/service-kit';

/** A refused reload: the file on disk is invalid; the previous policy stays in force. */
export interface RefusedReload {
  readonly message: string;
  readonly atUs: number;
}

export interface PolicyFileOptions {
  readonly path: string;
  readonly log: Logger;
  /** How often the file is checked for changes (default 1000 ms). */
  readonly pollMs?: number;
  readonly nowMs?: () => number;
  /**
   * What a check waits between its two reads of a changed file (default 100 ms): a file is taken only
   * when both reads agree, so one caught in the middle of being written (truncated, then written:
   * what most editors and writeFile do) is neither refused nor taken until it is whole.
   */
  readonly settle?: () => Promise<void>;
  /** Called after a new policy is in force. */
  readonly onReload?: (policy: Policy) => void;
  /** Called when a changed file is refused (invalid or unreadable). */
  readonly onRefused?: (refused: RefusedReload) => void;
}

/**
 * The policy in force, loaded from a file and hot-reloaded: the file is re-read when its mtime or
 * size changes (polling works on every filesystem, including bind mounts and ConfigMap symlink
 * swaps) and taken once two reads 100 ms apart agree (a file being written is not judged half
 * written); a file that does not parse or validate is refused with every problem logged, and the
 * previous policy stays in force.
 */
export class PolicyFile {
  readonly #o: PolicyFileOptions;
  #policy: Policy;
  #loadedAtUs: number;
  #refused: RefusedReload | undefined;
  #stamp: string;
  #loop: RunningLoop | undefined;
  #checking = false;

  private constructor(o: PolicyFileOptions, policy: Policy, stamp: string, atUs: number) {
    this.#o = o;
    this.#policy = policy;
    this.#stamp = stamp;
    this.#loadedAtUs = atUs;
  }

  /** Loads the file; throws PolicyError (or a file error) when the first load fails. */
  static async load(o: PolicyFileOptions): Promise<PolicyFile> {
    const now = o.nowMs ?? Date.now;
    const { text, stamp } = await read(o.path);
    const file = new PolicyFile(o, parsePolicy(text, { source: o.path }), stamp, now() * 1000);
    file.#loop = every({
      intervalMs: o.pollMs ?? 1000,
      waitFirst: true,
      run: async () => {
        await file.check();
      },
    });
    return file;
  }

  get policy(): Policy {
    return this.#policy;
  }

  get path(): string {
    return this.#o.path;
  }

  get loadedAtUs(): number {
    return this.#loadedAtUs;
  }

  /** The last refused reload, cleared by the next successful one. */
  get refused(): RefusedReload | undefined {
    return this.#refused;
  }

  /** Re-reads the file if it changed. Returns true when a new policy came into force. */
  async check(): Promise<boolean> {
    if (this.#checking) return false;
    this.#checking = true;
    const now = this.#o.nowMs ?? Date.now;
    try {
      const { text, stamp } = await read(this.#o.path);
      if (stamp === this.#stamp) return false;
      // Changed: judged only if it stays the same for a moment (else the next check starts over).
      await (this.#o.settle ?? settleBriefly)();
      if ((await read(this.#o.path)).stamp !== stamp) return false;
      this.#stamp = stamp;
      let policy: Policy;
      try {
        policy = parsePolicy(text, { source: this.#o.path });
      } catch (error: unknown) {
        if (!(error instanceof PolicyError)) throw error;
        this.#refused = { message: error.message, atUs: now() * 1000 };
        this.#o.onRefused?.(this.#refused);
        this.#o.log.error('policy file refused; the previous policy stays in force', {
          path: this.#o.path,
          problems: error.message,
          digest: this.#policy.digest,
        });
        return false;
      }
      if (policy.digest === this.#policy.digest) return false;
      this.#policy = policy;
      this.#loadedAtUs = now() * 1000;
      this.#refused = undefined;
      this.#o.log.info('policy reloaded', {
        path: this.#o.path,
        digest: policy.digest,
        rules: policy.rules.length,
      });
      this.#o.onReload?.(policy);
      return true;
    } catch (error: unknown) {
      this.#refused = {
        message: `cannot read ${this.#o.path}: ${(error as Error).message}`,
        atUs: now() * 1000,
      };
      this.#o.onRefused?.(this.#refused);
      this.#o.log.error('policy file unreadable; the previous policy stays in force', {
        path: this.#o.path,
        error: (error as Error).message,
      });
      return false;
    } finally {
      this.#checking = false;
    }
  }

  async close(): Promise<void> {
    await this.#loop?.stop();
  }
}

const settleBriefly = () => new Promise<void>((resolve) => setTimeout(resolve, 100));

async function read(path: string): Promise<{ text: string; stamp: string }> {
  const info = await stat(path);
  const text = await readFile(path, 'utf8');
  // The content is part of the stamp: an edit within the mtime granularity is still seen.
  return { text, stamp: `${info.mtimeMs}:${info.size}:${text.length}:${simpleHash(text)}` };
}

function simpleHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}
