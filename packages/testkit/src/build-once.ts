import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where pnpm-workspace.yaml is). */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('pnpm-workspace.yaml not found above the testkit');
    dir = parent;
  }
  return dir;
}

/**
 * Brings every package's dist/ up to date (`tsc -b`, incremental), so tests that start services as
 * real processes (`node services/<name>/dist/main.js`) run the code under test.
 */
export function buildWorkspace(): void {
  const root = repositoryRoot();
  const result = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-b'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`tsc -b failed:\n${result.stdout}${result.stderr}`);
}
