import { lstat, readFile, readlink } from 'node:fs/promises';
import { formatImprint, hashBytes, hashFile } from '@msi/client';

/** What the agent records of a file: its content's hash and its metadata. */
export interface FileState {
  /** `sha256:<hex>` of the content (of the target path's text, for a symlink). */
  readonly hash: string;
  readonly size: number;
  /** st_mode in octal, file type bits included (`100644`, `120777`). */
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  /** Modification time, ms since the epoch (integer). */
  readonly mtimeMs: number;
  /** A symlink's target, as stored in the link. */
  readonly link?: string;
}

/** Files up to this size are read at once; larger ones are hashed as a stream of 1 MiB chunks. */
const SMALL_FILE = 256 * 1024;

/** Why a path has no state: gone, not a regular file or symlink, or over the size limit. */
export type Unreadable = 'absent' | 'not-a-file' | 'too-large';

/**
 * The state of `path` (not following a symlink), its content hashed as a stream (SHA-256, 1 MiB chunks).
 * Files larger than `maxBytes` are not hashed ('too-large'). Other I/O errors are thrown.
 */
export async function readFileState(path: string, maxBytes: number): Promise<FileState | Unreadable> {
  let stat: Awaited<ReturnType<typeof lstat>>;
  try {
    stat = await lstat(path);
  } catch (error: unknown) {
    if (isMissing(error)) return 'absent';
    throw error;
  }
  const meta = {
    size: stat.size,
    mode: stat.mode.toString(8),
    uid: stat.uid,
    gid: stat.gid,
    mtimeMs: Math.trunc(stat.mtimeMs),
  };
  if (stat.isSymbolicLink()) {
    const link = await readlink(path).catch((error: unknown) =>
      isMissing(error) ? undefined : Promise.reject(error),
    );
    if (link === undefined) return 'absent';
    return { ...meta, hash: formatImprint(hashBytes(link)), link };
  }
  if (!stat.isFile()) return 'not-a-file';
  if (stat.size > maxBytes) return 'too-large';
  try {
    // small files in one read (a stream costs more than the hashing); larger ones streamed
    const imprint = stat.size <= SMALL_FILE ? hashBytes(await readFile(path)) : await hashFile(path);
    return { ...meta, hash: formatImprint(imprint) };
  } catch (error: unknown) {
    if (isMissing(error)) return 'absent';
    throw error;
  }
}

/** Whether two states are the same (content and metadata). */
export function sameState(a: FileState, b: FileState): boolean {
  return (
    a.hash === b.hash &&
    a.size === b.size &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.mtimeMs === b.mtimeMs &&
    a.link === b.link
  );
}

export function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
