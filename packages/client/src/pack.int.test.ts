// The published form of @msi/client: packed as `npm pack` packs it (scripts/pack-layout.mjs, staged
// outside packages/client so that no other test sees a swapped manifest), installed into an empty
// project with npm from the npm registry alone, and used there: the SDK, and @msi/client/verify
// verifying receipt v2 vectors with a module graph that touches no Node API (it runs in browsers).
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('..', import.meta.url));
const vectors = fileURLToPath(new URL('../../core/testdata/aggregated-receipts/', import.meta.url));
let work: string;
let tarball: string;
let consumer: string;

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 240_000 });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')}: ${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'msi-client-pack-'));
  const staged = join(work, 'package');
  run(process.execPath, [join(here, 'scripts', 'pack-layout.mjs'), 'stage', staged], here);
  run('npm', ['pack', '--pack-destination', work, '--ignore-scripts'], staged);
  const [name] = (await readdir(work)).filter((f) => f.endsWith('.tgz'));
  tarball = join(work, name ?? '');
  consumer = join(work, 'consumer');
  await mkdir(consumer);
  await writeFile(
    join(consumer, 'package.json'),
    '{"name":"consumer","version":"1.0.0","private":true,"type":"module"}\n',
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball], consumer);
}, 300_000);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('npm pack of @msi/client', () => {
  it('installs into an empty project with its npm dependencies only', async () => {
    const manifest = JSON.parse(
      await readFile(join(consumer, 'node_modules', '@msi', 'client', 'package.json'), 'utf8'),
    );
    expect(Object.keys(manifest.dependencies).every((name: string) => !name.startsWith('@msi/'))).toBe(true);
    expect(Object.keys(manifest).includes('devDependencies')).toBe(false);
    const installed = await readdir(join(consumer, 'node_modules', '@msi'));
    expect(installed).toEqual(['client']);
  });

  it('is usable there: events, hashing, options errors, and offline verification of receipts v2', async () => {
    const script = `
      import { readFileSync } from 'node:fs';
      import { createClient, Events, hashBytes, formatImprint, MsiClientError } from '@msi/client';
      import { ReceiptVerifier, parseVerifierKey, portableEd25519, portableHasher } from '@msi/client/verify';
      const out = [];
      out.push(formatImprint(Events.store({ data: hashBytes('hello'), actor: 'me' }).data));
      try { createClient({ ingest: 'nowhere' }); } catch (e) { out.push(e instanceof MsiClientError && e.code); }
      const client = createClient({ ingest: '127.0.0.1:1', insecure: true });
      await client.close();
      const dir = ${JSON.stringify(vectors)};
      const { receipts } = JSON.parse(readFileSync(dir + 'vectors.json', 'utf8'));
      for (const v of receipts) {
        const trust = { logKeys: v.trust.logKeys.map(parseVerifierKey), witnessKeys: v.trust.witnessKeys.map(parseVerifierKey), quorum: v.trust.quorum, strict: v.trust.strict };
        let verdict = 'VALID';
        try { new ReceiptVerifier(trust, { hasher: portableHasher(), ed25519: portableEd25519() }).verify(readFileSync(dir + v.receipt)); }
        catch (e) { verdict = e.code; }
        if (verdict !== v.want) out.push('MISMATCH ' + v.name);
      }
      out.push(receipts.length);
      console.log(JSON.stringify(out));
    `;
    await writeFile(join(consumer, 'use.mjs'), script);
    const out = JSON.parse(run(process.execPath, ['use.mjs'], consumer).trim());
    expect(out).toEqual([
      'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      'INVALID_OPTIONS',
      36,
    ]);
  });

  it('@msi/client/verify imports no Node API and no gRPC: its module graph is browser-safe', async () => {
    const root = join(consumer, 'node_modules', '@msi', 'client', 'lib');
    const seen = new Set<string>();
    const external: string[] = [];
    const visit = async (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/(?:import|export)[^'"]*from\s*['"]([^'"]+)['"]/g)) {
        const spec = match[1] ?? '';
        if (spec.startsWith('.')) await visit(resolve(dirname(file), spec));
        else external.push(spec);
      }
    };
    await visit(join(root, 'verify.js'));
    expect(seen.size).toBeGreaterThan(20);
    expect(
      external.filter((s) => s.startsWith('node:') || s.startsWith('@grpc') || s.startsWith('@bufbuild')),
    ).toEqual([]);
    expect(new Set(external.map((s) => s.split('/').slice(0, 2).join('/')))).toEqual(
      new Set(['@noble/hashes', '@noble/curves']),
    );
  });
});
