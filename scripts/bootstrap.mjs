#!/usr/bin/env node
// Makes a fresh clone runnable: checks Node, installs the workspace with the pinned pnpm when
// node_modules is missing or older than the lockfile. Uses npx so no global pnpm is assumed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`MSI needs Node >= 20.19 (found ${process.versions.node}).`);
  process.exit(1);
}

const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const marker = join(root, 'node_modules', '.modules.yaml');
const lockfile = join(root, 'pnpm-lock.yaml');
const stale =
  !existsSync(marker) || (existsSync(lockfile) && statSync(lockfile).mtimeMs > statSync(marker).mtimeMs);

if (stale) {
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  console.log(
    `bootstrap: installing the workspace with pnpm ${pnpmVersion}${frozen.length ? ' (frozen lockfile)' : ''}`,
  );
  const result = spawnSync('npx', ['--yes', `pnpm@${pnpmVersion}`, 'install', ...frozen], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, npm_config_yes: 'true' },
  });
  if (result.status !== 0) {
    console.error('bootstrap: pnpm install failed');
    process.exit(result.status ?? 1);
  }
}

// The console's browser app (services/console/dist/public), which `npm start` serves and the
// console's end-to-end tests load: built by vite when missing or older than its sources.
const consoleBuild = spawnSync(
  process.execPath,
  [join(root, 'services', 'console', 'scripts', 'build-web.mjs'), '--if-stale'],
  { cwd: root, stdio: 'inherit' },
);
if (consoleBuild.status !== 0) {
  console.error('bootstrap: the console app did not build');
  process.exit(consoleBuild.status ?? 1);
}
