import { describe, expect, it } from 'vitest';
import { createRegistry, startMetricsListener } from './metrics-server.js';

describe('startMetricsListener', () => {
  it('serves nothing on port 0: off, the same in every service', async () => {
    const registry = createRegistry('test');
    expect(
      await startMetricsListener(registry, { host: '127.0.0.1', port: 0, healthy: () => true }),
    ).toBeUndefined();
  });
});
