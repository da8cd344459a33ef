import { describe, expect, it } from 'vitest';
import { type DirectoryMode, firstUnenterable } from './cluster-placement.js';

const ROOT = 0;
const POSTGRES = { uid: 105, gid: 111 };
const dir = (path: string, mode: number, uid = ROOT, gid = ROOT): DirectoryMode => ({ path, mode, uid, gid });

describe('firstUnenterable: which directory above a cluster the postgres user may not enter', () => {
  it('passes directories others may search', () => {
    expect(firstUnenterable([dir('/', 0o755), dir('/tmp', 0o1777)], POSTGRES)).toBeUndefined();
  });

  it("stops at a 0700 directory of root's (a home directory, mktemp -d)", () => {
    const dirs = [
      dir('/', 0o755),
      dir('/tmp', 0o1777),
      dir('/tmp/tmp.x', 0o700),
      dir('/tmp/tmp.x/msi', 0o755),
    ];
    expect(firstUnenterable(dirs, POSTGRES)?.path).toBe('/tmp/tmp.x');
  });

  it("decides by the owner's bits for the owner and the group's for the group, as POSIX does", () => {
    expect(firstUnenterable([dir('/srv', 0o700, POSTGRES.uid)], POSTGRES)).toBeUndefined();
    expect(firstUnenterable([dir('/srv', 0o071, POSTGRES.uid)], POSTGRES)?.path).toBe('/srv');
    expect(firstUnenterable([dir('/srv', 0o750, ROOT, POSTGRES.gid)], POSTGRES)).toBeUndefined();
    expect(firstUnenterable([dir('/srv', 0o701, ROOT, POSTGRES.gid)], POSTGRES)?.path).toBe('/srv');
  });

  it('judges a user not created yet by the bits for others', () => {
    expect(firstUnenterable([dir('/srv', 0o750, 105, 111)], undefined)?.path).toBe('/srv');
    expect(firstUnenterable([dir('/srv', 0o711, 105, 111)], undefined)).toBeUndefined();
  });
});
