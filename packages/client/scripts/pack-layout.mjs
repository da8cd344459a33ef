#!/usr/bin/env node
// Makes packages/client packable with plain `npm pack` into a tarball that installs anywhere with
// only the npm registry: the workspace packages it is built on (@msi/core, @msi/merkle,
// @msi/hash-wasm, @msi/crypto-node, @msi/proto, @msi/wire) are not published, so their compiled code
// is copied into the package ("vendored") and the client's imports of them are rewritten to relative
// paths. Only real npm packages remain dependencies.
//
//   node scripts/pack-layout.mjs prepack    (npm runs it before packing)
//     builds the client (tsc -b), writes lib/ (the client's dist and the vendored packages' dists,
//     without tests and source maps), and swaps in the publish manifest (package.json), keeping the
//     workspace manifest in .package.json.workspace
//   node scripts/pack-layout.mjs postpack   (npm runs it after packing)
//     restores the workspace manifest and removes lib/
//   node scripts/pack-layout.mjs stage DIR
//     writes the same package (lib/, the publish manifest, README.md) into DIR, leaving
//     packages/client untouched: `npm pack DIR` then gives the same tarball (the pack test uses it,
//     so that other tests reading packages/client meanwhile never see the swapped manifest)
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(here, '..', '..');
const lib = join(here, 'lib');
const manifestPath = join(here, 'package.json');
const backupPath = join(here, '.package.json.workspace');

/** The workspace packages bundled into lib/vendor/<dir>, by package name. */
const VENDORED = {
  '@msi/core': 'packages/core',
  '@msi/merkle': 'packages/merkle',
  '@msi/hash-wasm': 'packages/hash-wasm',
  '@msi/crypto-node': 'packages/crypto-node',
  '@msi/proto': 'packages/proto',
  '@msi/wire': 'packages/wire',
};

const [command, target] = process.argv.slice(2);
if (command === 'prepack') prepack();
else if (command === 'postpack') postpack();
else if (command === 'stage' && target !== undefined) stage(target);
else fail(`usage: pack-layout.mjs prepack|postpack|stage DIR (got ${command ?? 'nothing'})`);

function prepack() {
  if (existsSync(backupPath)) fail(`${backupPath} exists: a previous pack did not finish; restore it first`);
  build();
  writeLib(lib);
  const workspace = readJson(manifestPath);
  renameSync(manifestPath, backupPath);
  writeFileSync(manifestPath, `${JSON.stringify(publishManifest(workspace), null, 2)}\n`);
}

function stage(dir) {
  build();
  rmSync(dir, { recursive: true, force: true });
  writeLib(join(dir, 'lib'));
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify(publishManifest(readJson(manifestPath)), null, 2)}\n`,
  );
  cpSync(join(here, 'README.md'), join(dir, 'README.md'));
}

function build() {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const built = spawnSync(process.execPath, [tsc, '-b', here], { stdio: 'inherit' });
  if (built.status !== 0) fail('tsc -b failed');
}

/** lib/: the client's compiled code and the vendored packages', imports rewritten. */
function writeLib(out) {
  rmSync(out, { recursive: true, force: true });
  copyDist(join(here, 'dist'), out);
  for (const [name, dir] of Object.entries(VENDORED)) {
    copyDist(join(root, dir, 'dist'), join(out, 'vendor', name.slice('@msi/'.length)));
  }
  rewriteImports(out, out);
}

function postpack() {
  if (existsSync(backupPath)) renameSync(backupPath, manifestPath);
  rmSync(lib, { recursive: true, force: true });
}

/** Copies compiled .js and .d.ts files, leaving out tests, test helpers and source maps. */
function copyDist(from, to) {
  if (!existsSync(from)) fail(`${relative(root, from)} is missing: build the workspace (tsc -b) first`);
  cpSync(from, to, {
    recursive: true,
    filter: (path) =>
      statSync(path).isDirectory() ||
      ((path.endsWith('.js') || path.endsWith('.d.ts')) &&
        !/\.(int\.|e2e\.)?test(-helper)?\.(js|d\.ts)$/.test(path)),
  });
}

/** Rewrites `'@msi/<name>'` specifiers to relative paths into lib/vendor, drops source map comments. */
function rewriteImports(dir, lib) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      rewriteImports(path, lib);
      continue;
    }
    const text = readFileSync(path, 'utf8');
    const rewritten = text
      .replace(/(['"])(@msi\/[a-z-]+)\1/g, (_match, quote, name) => {
        if (!(name in VENDORED)) fail(`${relative(lib, path)} imports ${name}, which is not vendored`);
        const target = join(lib, 'vendor', name.slice('@msi/'.length), 'index.js');
        let spec = relative(dirname(path), target).split(sep).join('/');
        if (!spec.startsWith('.')) spec = `./${spec}`;
        return `${quote}${spec}${quote}`;
      })
      .replace(/^\/\/# sourceMappingURL=.*$/gm, '');
    if (rewritten !== text) writeFileSync(path, rewritten);
  }
}

/** The manifest of the published package: the entry points in lib/, npm dependencies only. */
function publishManifest(workspace) {
  const dependencies = {};
  const wanted = (manifest) => Object.entries(manifest.dependencies ?? {});
  const sources = [
    workspace,
    ...Object.values(VENDORED).map((dir) => readJson(join(root, dir, 'package.json'))),
  ];
  for (const manifest of sources) {
    for (const [name, range] of wanted(manifest)) {
      if (name.startsWith('@msi/')) continue;
      dependencies[name] = range;
    }
  }
  return {
    name: workspace.name,
    version: workspace.version,
    description: workspace.description,
    license: workspace.license,
    type: 'module',
    engines: workspace.engines,
    exports: {
      '.': { types: './lib/index.d.ts', default: './lib/index.js' },
      './verify': { types: './lib/verify.d.ts', default: './lib/verify.js' },
    },
    files: ['lib', 'README.md'],
    scripts: { postpack: workspace.scripts.postpack },
    dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function fail(message) {
  console.error(`pack-layout: ${message}`);
  process.exit(1);
}
