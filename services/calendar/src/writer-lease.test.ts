import { describe, expect, it } from 'vitest';
import { decideLease, type LeaseDecision, type WriterLease } from './writer-lease.js';

const NOW = 1_000_000;
const LEASE = 5_000;

describe('decideLease', () => {
  const cases: [string, WriterLease, LeaseDecision][] = [
    [
      'takes a lease nobody ever held',
      { owner: null, leaseUntilMs: 0 },
      { kind: 'take', lease: { owner: 'me', leaseUntilMs: NOW + LEASE }, takeover: false },
    ],
    [
      'renews its own live lease',
      { owner: 'me', leaseUntilMs: NOW + 10 },
      { kind: 'take', lease: { owner: 'me', leaseUntilMs: NOW + LEASE }, takeover: false },
    ],
    [
      'renews its own expired lease (nobody took it)',
      { owner: 'me', leaseUntilMs: NOW - 10 },
      { kind: 'take', lease: { owner: 'me', leaseUntilMs: NOW + LEASE }, takeover: false },
    ],
    [
      'takes over an expired lease of another',
      { owner: 'other', leaseUntilMs: NOW - 1 },
      { kind: 'take', lease: { owner: 'me', leaseUntilMs: NOW + LEASE }, takeover: true },
    ],
    [
      'takes over a lease that ends exactly now',
      { owner: 'other', leaseUntilMs: NOW },
      { kind: 'take', lease: { owner: 'me', leaseUntilMs: NOW + LEASE }, takeover: true },
    ],
    [
      'leaves a live lease of another',
      { owner: 'other', leaseUntilMs: NOW + 1 },
      { kind: 'held', owner: 'other', remainingMs: 1 },
    ],
  ];
  it.each(cases)('%s', (_name, current, want) => {
    expect(decideLease(current, 'me', NOW, LEASE)).toEqual(want);
  });
});
