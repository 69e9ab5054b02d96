import { fileURLToPath } from 'node:url';
import { runConformanceSuite } from '@app/core/testing';
import { afterAll } from 'vitest';
import { streamKey } from '../src/keys.js';
import { startRedisServer, type LocalRedis } from './harness/redis-server.js';
import type { RemoteRedisArgs } from './support/remote-bus.js';
import { deleteKeys, rawClient, readyBus, uniquePrefix } from './support/test-bus.js';

// Buses of one test must share keys (crossInstance), so the prefix is per run, not per bus.
const runPrefix = uniquePrefix('conformance');

// A private redis-server (not the shared one at REDIS_URL), so the suite may restart it and cut
// buses off from it. The append-only file with fsync before every reply makes `persistent` true.
const servers: LocalRedis[] = [];
let current: Promise<LocalRedis> | undefined;
const server = (): Promise<LocalRedis> => (current ??= startRedisServer({ appendOnly: true, appendFsync: 'always' }).then((started) => (servers.push(started), started)));

async function stopServer(): Promise<void> {
  await (await server()).stop();
}

async function startAgain(): Promise<void> {
  const { port, dir } = await server();
  // Same port and directory: the buses reconnect to it and it loads its append-only file.
  const started = await startRedisServer({ port, dir, appendOnly: true, appendFsync: 'always' });
  servers.push(started);
  current = Promise.resolve(started);
}

runConformanceSuite({
  name: 'redis',
  setup: async () => {
    const { url } = await server();
    // A small queue and close timeout keep the slow-subscriber (backpressure) and hung-handler cases short.
    const bus = await readyBus({ url, keyPrefix: runPrefix, retryDelayMs: 20, persistent: true, maxPendingPerSubscription: 50, closeTimeoutMs: 1000 });
    // Tests run one after another and every bus of the test is closed before cleanup runs.
    return { bus, cleanup: async () => deleteKeys((await server()).url, runPrefix) };
  },
  slowSubscriberBound: 50,
  closeTimeoutMs: 1000,
  remote: async () => ({
    module: fileURLToPath(new URL('./support/remote-bus.ts', import.meta.url)),
    export: 'remoteRedisBus',
    args: { url: (await server()).url, keyPrefix: runPrefix } satisfies RemoteRedisArgs,
  }),
  restartBackend: async () => {
    await stopServer();
    await startAgain();
  },
  cutConnection: stopServer,
  restoreConnection: startAgain,
  truncateHistory: async (channel, before) => {
    const raw = rawClient((await server()).url);
    try {
      // What MAXLEN/MINID retention does on its own: entries older than `before` are gone.
      await raw.call('XTRIM', [streamKey(runPrefix, channel), 'MINID', before]);
    } finally {
      raw.disconnect();
    }
  },
});

afterAll(async () => {
  // The first server owns the directory the later ones reused: dispose it last.
  for (const started of servers.splice(0).reverse()) await started.dispose();
});
