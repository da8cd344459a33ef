import { describe, expect, it } from 'vitest';
import { planNatsInstall } from './install-nats.js';

describe('planNatsInstall', () => {
  it('installs with apt-get only as root on a machine that has it', () => {
    expect(planNatsInstall({ isRoot: true, hasAptGet: true })).toEqual({ kind: 'apt-get' });
  });

  it.each([
    { isRoot: false, hasAptGet: true },
    { isRoot: true, hasAptGet: false },
    { isRoot: false, hasAptGet: false },
  ])('otherwise says exactly how (%o)', (facts) => {
    const plan = planNatsInstall(facts);
    expect(plan.kind).toBe('explain');
    expect(plan.kind === 'explain' && plan.message).toMatch(/apt-get install nats-server.*MSI_NATS_URL/);
  });
});
