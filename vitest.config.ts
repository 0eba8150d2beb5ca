import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { LongFilesFirst } from './vitest.sequencer.ts';

/**
 * Test files at once. Vitest's default is one fewer than the cores, a single worker on the
 * project's 2-core machines, so every file waited for the one before. Most of the suite's wall
 * time is real-time waiting (fault suites: deadlines, reconnects, blocked polls), not CPU, so the
 * slow files (each fault matrix split a file per driver or setup) overlap their waits. 6 on 2
 * cores: measured against 4 and 8 on the slow files together (the root README's "Developing").
 */
const MAX_WORKERS = Math.max(6, availableParallelism());

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
    maxWorkers: MAX_WORKERS,
    sequence: { sequencer: LongFilesFirst },
    // CI reads the totals from the JSON report (.ci/run prints "N passed, N failed").
    reporters: process.env.CI === 'true' ? ['default', 'json'] : ['default'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
