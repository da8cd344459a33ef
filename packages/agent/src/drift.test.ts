import { describe, expect, it } from 'vitest';
import { decideReport } from './drift.js';
import type { FileState } from './file-state.js';
import type { IndexEntry } from './state-index.js';

const A: FileState = { hash: 'sha256:aa', size: 1, mode: '100644', uid: 0, gid: 0, mtimeMs: 1 };
const B: FileState = { ...A, hash: 'sha256:bb', mtimeMs: 2 };
const entry = (state: FileState, kind: 'STATE' | 'DELETE' = 'STATE'): IndexEntry => ({
  path: '/w/f',
  id: '0190a6c0-0000-7000-8000-000000000000',
  atUs: 1,
  kind,
  change: 'baseline',
  fileClass: 'file',
  state,
});

describe('what an observed state means', () => {
  it('tells created, modified, metadata, deleted and unchanged apart', () => {
    expect(decideReport('/w/f', 'file', undefined, A, false)?.change).toBe('created');
    expect(decideReport('/w/f', 'file', entry(A, 'DELETE'), A, false)?.change).toBe('created');
    expect(decideReport('/w/f', 'file', entry(A), B, false)).toMatchObject({
      change: 'modified',
      previousHash: 'sha256:aa',
    });
    expect(decideReport('/w/f', 'file', entry(A), { ...A, mode: '100755' }, false)?.change).toBe('metadata');
    expect(decideReport('/w/f', 'file', entry(A), 'absent', false)).toMatchObject({
      change: 'deleted',
      state: A,
    });
    expect(decideReport('/w/f', 'file', entry(A), A, false)).toBeUndefined();
    expect(decideReport('/w/f', 'file', entry(A), A, true)?.change).toBe('rescan');
  });

  it('reports nothing for a file never seen that is gone, nor for one over the size limit', () => {
    expect(decideReport('/w/f', 'file', undefined, 'absent', true)).toBeUndefined();
    expect(decideReport('/w/f', 'file', entry(A, 'DELETE'), 'absent', true)).toBeUndefined();
    expect(decideReport('/w/f', 'file', entry(A), 'too-large', true)).toBeUndefined();
  });
});
