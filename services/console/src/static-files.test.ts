import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStaticFile } from './static-files.js';

describe('findStaticFile', () => {
  let root = '';
  let outside = '';
  beforeAll(async () => {
    outside = await mkdtemp(join(tmpdir(), 'console-static-'));
    root = join(outside, 'public');
    await mkdir(join(root, 'assets'), { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html><title>app</title>');
    await writeFile(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    await writeFile(join(outside, 'secret.txt'), 'not served');
  });
  afterAll(() => rm(outside, { recursive: true, force: true }));

  it('serves a built asset as immutable with its content type', async () => {
    const file = await findStaticFile(root, '/assets/app-1234.js');
    expect(file?.contentType).toBe('text/javascript; charset=utf-8');
    expect(file?.immutable).toBe(true);
    expect(file?.body.toString()).toBe('console.log(1)');
  });

  it('answers an app route (no extension) with index.html, not immutable', async () => {
    const file = await findStaticFile(root, '/custody');
    expect(file?.body.toString()).toContain('<title>app</title>');
    expect(file?.immutable).toBe(false);
  });

  it.each([
    ['dot-dot', '/../secret.txt'],
    ['encoded dot-dot', '/%2e%2e/secret.txt'],
    ['encoded slash and dot-dot', '/assets%2f..%2f..%2fsecret.txt'],
    ['nul byte', '/index.html%00.js'],
    ['bad escape', '/%E0%A4%A'],
    ['missing file', '/assets/nothing.js'],
  ])('serves nothing outside the app or missing (%s)', async (_name, path) => {
    expect(await findStaticFile(root, path)).toBeUndefined();
  });
});
