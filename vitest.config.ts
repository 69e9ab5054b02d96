import { existsSync, readdirSync } from 'node:fs';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * Projects by the service they need. `BUS=memory pnpm test` runs only what needs no external
 * service; `BUS=kafka` or `BUS=redis` adds that broker's tests; plain `pnpm test` runs all.
 * Tests of any package that need a broker are named `*.kafka.integration.test.ts` or
 * `*.redis.integration.test.ts` and run in that broker's project, under its harness.
 */
const bus = process.env['BUS'];
const brokerTests = ['**/*.kafka.integration.test.ts', '**/*.redis.integration.test.ts'];

function project(name: string, include: string[], globalSetup?: string, alsoExclude: string[] = []): TestProjectInlineConfiguration {
  return {
    extends: true,
    test: {
      name,
      include,
      exclude: ['**/node_modules/**', ...(globalSetup === undefined ? brokerTests : []), ...alsoExclude],
      ...(globalSetup !== undefined && existsSync(globalSetup) ? { globalSetup: [globalSetup] } : {}),
    },
  };
}

/** The packages whose tests all need one broker: they run in that broker's project, under its harness. */
const BROKER_PACKAGES: readonly string[] = ['driver-kafka', 'driver-redis'];

/** Every `packages/*` with a `test` folder is a project of its own: a new package runs under `pnpm test` with no change here. */
const packagesWithTests = readdirSync('packages', { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(`packages/${entry.name}/test`))
  .map((entry) => entry.name)
  .sort();

const standalone = [
  project('repo', ['test/**/*.test.ts'], undefined, ['test/faults/**']),
  ...packagesWithTests.filter((name) => !BROKER_PACKAGES.includes(name)).map((name) => project(name, [`packages/${name}/test/**/*.test.ts`])),
];
const kafka = project(
  'kafka',
  ['packages/driver-kafka/test/**/*.test.ts', 'packages/*/test/**/*.kafka.integration.test.ts'],
  'packages/driver-kafka/test/harness/global-setup.ts',
);
const redis = project(
  'redis',
  ['packages/driver-redis/test/**/*.test.ts', 'packages/*/test/**/*.redis.integration.test.ts'],
  'packages/driver-redis/test/harness/global-setup.ts',
);

// `pnpm test:faults` (FAULTS=1): the fault suite alone, against the Kafka and Redis that CI started; it kills and restarts them.
const faults = project('faults', ['test/faults/**/*.test.ts'], 'test/faults/support/global-setup.ts');

const projects =
  process.env['FAULTS'] === '1'
    ? [faults]
    : bus === undefined || bus === ''
      ? [...standalone, kafka, redis]
      : bus === 'kafka'
        ? [...standalone, kafka]
        : bus === 'redis'
          ? [...standalone, redis]
          : standalone;

export default defineConfig({
  // Workspace packages export their TypeScript sources under this condition: no build step for tests.
  resolve: { conditions: ['@app/source'] },
  ssr: { resolve: { conditions: ['@app/source'] } },
  test: {
    projects,
    // Integration tests of different files share one broker; run files one at a time on 2 cores
    // when a broker is involved, to keep timings and consumer-group churn sane.
    fileParallelism: false,
    reporters: process.env['CI'] ? ['verbose', 'json'] : ['default'],
    outputFile: { json: process.env['FAULTS'] === '1' ? 'test-results/faults.json' : 'test-results/vitest.json' },
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
