import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the "@app/source" condition, so tests
// run against src/ without a build step.
const resolve = { conditions: ['@app/source'] };

export default defineConfig({
  resolve,
  ssr: { resolve: { conditions: ['@app/source'] } },
  test: {
    projects: [
      { extends: true, test: { name: 'core', include: ['packages/core/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'driver-memory', include: ['packages/driver-memory/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'server', include: ['packages/server/test/**/*.test.ts'] } },
    ],
  },
});
