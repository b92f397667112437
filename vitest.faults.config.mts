import { defineConfig } from 'vitest/config';

// The fault-injection suite (`npm run test:faults`, which builds first): each scenario runs the
// built platform as child processes (api, workers), its own redis-server and database, and
// breaks them on purpose. Files run one after another: they kill processes and load the machine.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.spec.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
