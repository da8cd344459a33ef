import { describe, expect, it } from 'vitest';
import { logKey, witnessA } from './cli-world.test-helper.js';
import { buildTrust, parseCount, parseTrustFile } from './trust-options.js';

const flags = { keys: [logKey.verifierKey], witnesses: [witnessA.verifierKey], strict: false };

describe('buildTrust', () => {
  it('merges file and flag keys; a --quorum flag overrides the file', () => {
    const file = { logKeys: [], witnessKeys: [witnessA.verifierKey], quorum: 2 };
    const trust = buildTrust({ ...flags, quorum: '1' }, file);
    expect(trust.logKeys.map((k) => k.name)).toEqual([logKey.signer.name]);
    expect(trust.witnessKeys?.map((k) => k.name)).toEqual(['witness.test/a', 'witness.test/a']);
    expect(trust.quorum).toBe(1);
    expect(buildTrust({ ...flags, strict: true }, file)).toMatchObject({ quorum: 2, strict: true });
  });

  it('refuses a log key given as a witness', () => {
    expect(() => buildTrust({ ...flags, witnesses: [logKey.verifierKey] })).toThrow(
      /--witness .*: not a witness key/,
    );
  });
});

describe('parseTrustFile', () => {
  it.each([
    [[], /must hold a JSON object/],
    [{ logKeys: 'k' }, /"logKeys" must be an array of key strings/],
    [{ witnessKeys: [1] }, /"witnessKeys" must be an array/],
    [{ quorum: -1 }, /"quorum" must be a non-negative integer/],
    [{ quorum: 1.5 }, /"quorum" must be a non-negative integer/],
    [{ keys: [] }, /unknown member "keys"/],
  ])('refuses %j', (value, message) => {
    expect(() => parseTrustFile(value, 't.json')).toThrow(message);
  });
});

describe('parseCount', () => {
  it('accepts decimal integers only', () => {
    expect(parseCount('0', '--n')).toBe(0);
    expect(parseCount('12', '--n')).toBe(12);
    for (const bad of ['', '-1', '01', '1e3', ' 1', '0x10', '1.0']) {
      expect(() => parseCount(bad, '--n')).toThrow(/--n must be a non-negative integer/);
    }
  });
});
