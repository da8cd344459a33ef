import { describe, expect, it } from 'vitest';
import { peerHost } from './security-intake.js';

describe('peerHost', () => {
  it.each([
    ['ipv4:10.0.0.7:51234', '10.0.0.7'],
    ['ipv6:[::1]:5000', '[::1]'],
    ['127.0.0.1:4000', '127.0.0.1'],
    ['unix:/tmp/sock', '/tmp/sock'],
    ['', ''],
    ['ipv4:10.0.0.7', '10.0.0.7'],
  ])('%s → %s', (peer, host) => {
    expect(peerHost(peer)).toBe(host);
  });
});
