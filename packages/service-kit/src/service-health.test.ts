import { describe, expect, it } from 'vitest';
import { ServiceHealth } from './service-health.js';

describe('ServiceHealth', () => {
  it('serves while every dependency is up and it is not stopping; listeners hear each change', () => {
    const health = new ServiceHealth();
    const heard: boolean[] = [];
    health.watch((serving) => heard.push(serving));
    health.set('nats', false, 'NATS disconnected');
    health.set('jetstream', false);
    expect([health.serving, [...health.down.keys()]]).toEqual([false, ['nats', 'jetstream']]);
    health.set('nats', true); // still down: jetstream (heard, so a listener can act on nats being back)
    health.set('nats', true); // no change: not heard
    health.set('jetstream', true);
    expect(health.serving).toBe(true);
    health.stopping();
    health.set('database', true);
    expect(health.serving).toBe(false);
    expect(heard).toEqual([true, false, false, false, true, false]);
  });
});
