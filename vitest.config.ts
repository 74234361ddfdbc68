import { defineConfig } from 'vitest/config';

/**
 * Three projects: unit (pure, no I/O), integration (real Kafka/Redis/Postgres), e2e (apps as
 * processes over HTTP). `npm test` runs all three against infra it brings up itself.
 */
export default defineConfig({
  test: {
    // Two cores: two files at a time keeps Kafka group joins and app processes from starving.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{apps,packages}/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.e2e.test.ts', '**/node_modules/**'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{apps,packages}/*/src/**/*.int.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
