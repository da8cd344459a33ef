import { defineConfig } from 'vitest/config';

// Test tiers by suffix: *.test.ts (unit, beside the code), *.int.test.ts (real NATS/Postgres),
// *.e2e.test.ts (the whole system). `vitest run` runs all three; `--project <name>` runs one.
const resolve = { conditions: ['@msi/source'] };
const exclude = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['{packages,services,bench}/**/*.test.ts'],
          exclude: [...exclude, '**/*.int.test.ts', '**/*.e2e.test.ts'],
          // The mutation and property tests verify thousands of receipts: 5 s is too tight on a busy
          // 2-core machine (a real hang still fails).
          testTimeout: 20_000,
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          globalSetup: ['./packages/testkit/src/global-setup.ts'],
          exclude,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve,
        test: {
          name: 'e2e',
          include: ['**/*.e2e.test.ts'],
          globalSetup: ['./packages/testkit/src/global-setup.ts'],
          exclude,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
