import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readlink, realpath, rmdir, stat, symlink } from 'node:fs/promises';
import { basename, dirname, join, parse, resolve } from 'node:path';

// Run as root, the embedded Postgres (initdb and the server) runs as the OS user `postgres`, which
// needs search permission on every directory above its cluster. A data directory below one it may
// not enter — root's home, or any `mktemp -d` directory (0700) — made initdb fail with "could not
// access directory". Such a cluster is kept in a shelter that user can reach instead, with a
// symbolic link at the wanted place, so the next start finds the same cluster there.

/** Where root keeps the clusters whose wanted place the `postgres` user cannot reach. */
export const CLUSTER_SHELTER = '/var/lib/msi/postgres';

export type ClusterPlacementErrorCode = 'CLUSTER_UNREACHABLE' | 'SHELTER_UNREACHABLE';

/** A cluster directory the embedded Postgres's OS user cannot reach, and no way around it. */
export class ClusterPlacementError extends Error {
  constructor(
    readonly code: ClusterPlacementErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClusterPlacementError';
  }
}

/** An OS user, as far as directory permissions go. */
export interface DirectoryUser {
  readonly uid: number;
  readonly gid: number;
}

/** A directory's owner, group and permission bits. */
export interface DirectoryMode {
  readonly path: string;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

/**
 * The first of `dirs` that `user` may not enter (search permission, POSIX rules: the owner's bits
 * for the owner, else the group's for the group, else the others'), if any. An unknown user (not
 * created yet) owns nothing: the others' bits decide.
 */
export function firstUnenterable(
  dirs: readonly DirectoryMode[],
  user: DirectoryUser | undefined,
): DirectoryMode | undefined {
  return dirs.find((dir) => !mayEnter(dir, user));
}

function mayEnter(dir: DirectoryMode, user: DirectoryUser | undefined): boolean {
  if (user !== undefined && dir.uid === user.uid) return (dir.mode & 0o100) !== 0;
  if (user !== undefined && dir.gid === user.gid) return (dir.mode & 0o010) !== 0;
  return (dir.mode & 0o001) !== 0;
}

/** Where a cluster lives, and the link left at the wanted place when it lives in the shelter. */
export interface ClusterPlacement {
  readonly dir: string;
  readonly linkedFrom?: string;
}

export interface ClusterPlacementOptions {
  /** Default {@link CLUSTER_SHELTER}. */
  readonly shelter?: string;
  /** The server's OS user; default the `postgres` user when running as root. */
  readonly user?: DirectoryUser;
}

/**
 * Where the embedded Postgres keeps the cluster wanted at `wanted`. Not as root, or when the
 * `postgres` user may enter every directory above `wanted`: there. Otherwise in
 * `<shelter>/<name>-<hash of wanted>`, with `wanted` a symbolic link to it (created now, followed
 * on the next start). Throws ClusterPlacementError when a cluster already sits unreachable at
 * `wanted`, or the shelter is unreachable itself, saying what to do.
 */
export async function placeCluster(
  wanted: string,
  options: ClusterPlacementOptions = {},
): Promise<ClusterPlacement> {
  if (process.getuid?.() !== 0) return { dir: wanted };
  const user = options.user ?? lookupUser('postgres');
  const path = resolve(wanted);
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isSymbolicLink()) {
    const dir = resolve(dirname(path), await readlink(path));
    await mkdir(dirname(dir), { recursive: true });
    await refuseUnreachable(dir, user, 'SHELTER_UNREACHABLE', `the cluster ${path} links to`);
    return { dir, linkedFrom: path };
  }
  await mkdir(dirname(path), { recursive: true });
  const blocked = firstUnenterable(await directoriesAbove(path), user);
  if (blocked === undefined) return { dir: path };
  if (existing !== undefined) {
    if (!existing.isDirectory() || (await readdir(path)).length > 0) {
      throw new ClusterPlacementError(
        'CLUSTER_UNREACHABLE',
        `${unreachable(path, blocked)}: run \`chmod o+x ${blocked.path}\`, or move ${path} to a ` +
          'directory every user may enter and leave a symbolic link to it in its place, or use a ' +
          'Postgres server of your own',
      );
    }
    await rmdir(path); // empty: what a failed initdb left, before clusters were sheltered
  }
  const shelter = resolve(options.shelter ?? CLUSTER_SHELTER);
  await makeOpenDirectory(shelter);
  const dir = join(shelter, shelterName(path));
  await refuseUnreachable(dir, user, 'SHELTER_UNREACHABLE', `the shelter for ${path}`);
  await symlink(dir, path);
  return { dir, linkedFrom: path };
}

/** Creates `dir` and its missing parents 0755 whatever the umask; leaves existing ones alone. */
async function makeOpenDirectory(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (const created of chain(dir).filter((d) => d.length >= first.length)) await chmod(created, 0o755);
}

/** `<parent's name>-<16 hex of sha256(path)>`: readable, and one per wanted path. */
function shelterName(path: string): string {
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 16);
  const name = basename(dirname(path)).replace(/[^A-Za-z0-9._-]/g, '_') || 'root';
  return `${name}-${hash}`;
}

async function refuseUnreachable(
  dir: string,
  user: DirectoryUser | undefined,
  code: ClusterPlacementErrorCode,
  what: string,
): Promise<void> {
  const blocked = firstUnenterable(await directoriesAbove(dir), user);
  if (blocked !== undefined) {
    throw new ClusterPlacementError(
      code,
      `${what} ${unreachable(dir, blocked)}: run \`chmod o+x ${blocked.path}\`, or use a Postgres server of your own`,
    );
  }
}

function unreachable(path: string, blocked: DirectoryMode): string {
  const mode = (blocked.mode & 0o7777).toString(8).padStart(4, '0');
  return (
    `${path} is below ${blocked.path} (mode ${mode}, owner uid ${blocked.uid}), which the ` +
    'embedded Postgres cannot enter: as root it runs as the OS user postgres'
  );
}

/**
 * Every directory a process must enter to reach `path`: those on its path as written (symbolic
 * links skipped: they are followed, not entered) and those on its real path.
 */
async function directoriesAbove(path: string): Promise<DirectoryMode[]> {
  const parent = dirname(path);
  const seen = new Map<string, DirectoryMode>();
  for (const dir of chain(parent)) {
    const info = await lstat(dir);
    if (info.isDirectory()) seen.set(dir, { path: dir, uid: info.uid, gid: info.gid, mode: info.mode });
  }
  for (const dir of chain(await realpath(parent))) {
    if (seen.has(dir)) continue;
    const info = await stat(dir);
    seen.set(dir, { path: dir, uid: info.uid, gid: info.gid, mode: info.mode });
  }
  return [...seen.values()];
}

/** `/`, `/a`, `/a/b` for `/a/b`. */
function chain(dir: string): string[] {
  const dirs: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    dirs.unshift(at);
    if (at === parse(at).root) return dirs;
  }
}

function lookupUser(name: string): DirectoryUser | undefined {
  const id = (flag: string) => {
    const result = spawnSync('id', [flag, name], { encoding: 'utf8' });
    const value = Number.parseInt(result.stdout.trim(), 10);
    return result.status === 0 && Number.isSafeInteger(value) ? value : undefined;
  };
  const uid = id('-u');
  const gid = id('-g');
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}
