import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { AgentConfig, FileClass, WatchSpec } from './agent-config.js';
import { isMissing } from './file-state.js';

/** The files a scan found (path → class) and the directories to watch. */
export interface ScanResult {
  readonly files: Map<string, FileClass>;
  readonly directories: string[];
  /** Files left out because `limits.max_files` was reached. */
  readonly overLimit: number;
}

/** Which watch root selects `path`, if any (the first that does). */
export function selectingSpec(config: AgentConfig, path: string): WatchSpec | undefined {
  for (const spec of config.watch) {
    if (path !== spec.path && !path.startsWith(`${spec.path}${sep}`)) continue;
    const rel = path === spec.path ? pathTail(path) : relative(spec.path, path).split(sep).join('/');
    if (config.ignore?.(rel) === true || spec.exclude?.(rel) === true) continue;
    if (spec.include !== undefined && path !== spec.path && !spec.include(rel)) continue;
    return spec;
  }
  return undefined;
}

const pathTail = (path: string): string => path.slice(path.lastIndexOf(sep) + 1);

/**
 * Walks every watch root (or only `under`, a directory inside one) and lists the regular files and
 * symlinks the config selects, at most `limits.max_files`. Symlinked directories are not followed.
 */
export async function scanTree(config: AgentConfig, under?: string): Promise<ScanResult> {
  const result: ScanResult = { files: new Map(), directories: [], overLimit: 0 };
  let over = 0;
  const visit = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error: unknown) {
      if (isMissing(error) || (error as { code?: string }).code === 'ENOTDIR') return;
      throw error;
    }
    result.directories.push(dir);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await visit(path);
        continue;
      }
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      const spec = selectingSpec(config, path);
      if (spec === undefined) continue;
      if (result.files.size >= config.limits.maxFiles) over++;
      else result.files.set(path, spec.fileClass);
    }
  };
  for (const spec of config.watch) {
    if (under !== undefined && under !== spec.path && !under.startsWith(`${spec.path}${sep}`)) continue;
    const root = under ?? spec.path;
    const single = await isFile(root);
    if (single) {
      if (selectingSpec(config, root) !== undefined) result.files.set(root, spec.fileClass);
    } else await visit(root);
  }
  return { ...result, overLimit: over };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return !(await lstat(path)).isDirectory();
  } catch (error: unknown) {
    if (isMissing(error)) return false;
    throw error;
  }
}
