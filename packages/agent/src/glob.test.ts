import { describe, expect, it } from 'vitest';
import { compileGlob } from './glob.js';

describe('globs over relative paths', () => {
  it.each([
    ['*.conf', 'a.conf', true],
    ['*.conf', 'sites/a.conf', true],
    ['*.conf', 'a.conf.bak', false],
    ['sites/*.conf', 'sites/a.conf', true],
    ['sites/*.conf', 'sites/x/a.conf', false],
    ['sites/**/*.conf', 'sites/a.conf', true],
    ['sites/**/*.conf', 'sites/x/y/a.conf', true],
    ['**/.git/**', 'repo/.git/HEAD', true],
    ['a?c.txt', 'abc.txt', true],
    ['a?c.txt', 'a/c.txt', false],
    ['(x).txt', '(x).txt', true],
  ])('%s on %s: %s', (pattern, path, expected) => {
    expect(compileGlob([pattern])(path)).toBe(expected);
  });
});
