#!/usr/bin/env node
// Builds the console's browser app (vite, web/vite.config.ts) into dist/public and prints the total
// of all its JavaScript and CSS gzipped, lazy chunks and workers included; fails over the budget.
// `--if-stale` builds only when a source is newer than the last build (scripts/bootstrap.mjs uses it).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(here, 'dist', 'public');
const marker = join(out, 'index.html');
/** The budget for everything the app loads (issue 18). */
const BUDGET_BYTES = 300 * 1024;

const files = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
const newest = (dirs) =>
  Math.max(...dirs.filter(existsSync).flatMap((dir) => files(dir).map((path) => statSync(path).mtimeMs)));

if (process.argv.includes('--if-stale') && existsSync(marker)) {
  const sources = ['web', 'src/api-types.ts', '../../packages/core/src', '../../packages/merkle/src'];
  const sourceDirs = sources.map((s) => join(here, s));
  const newestSource = Math.max(
    newest(sourceDirs.filter((p) => existsSync(p) && statSync(p).isDirectory())),
    ...sourceDirs.filter((p) => existsSync(p) && statSync(p).isFile()).map((p) => statSync(p).mtimeMs),
  );
  if (newestSource <= statSync(marker).mtimeMs) process.exit(0);
}

const vite = join(here, 'node_modules', '.bin', 'vite');
const built = spawnSync(vite, ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
  cwd: here,
  stdio: 'inherit',
});
if (built.status !== 0) {
  console.error('console: the browser app did not build');
  process.exit(built.status ?? 1);
}
let total = 0;
for (const path of files(out)) {
  if (['.js', '.css'].includes(extname(path))) total += gzipSync(readFileSync(path), { level: 9 }).length;
}
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(`console: built ${out}: all JS+CSS ${kb(total)} gzipped (budget ${kb(BUDGET_BYTES)})`);
if (total > BUDGET_BYTES) {
  console.error('console: over the 300 KB budget');
  process.exit(1);
}
