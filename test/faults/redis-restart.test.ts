import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { startRedisServer, type LocalRedis } from '../../packages/driver-redis/test/harness/redis-server.js';
import { startTwoInstances, wsUrl } from '../../packages/server/test/support/cross-instance.js';
import { killServerProcesses } from '../../packages/server/test/support/server-process.js';
import { TestClient } from '../../packages/server/test/support/test-client.js';
import { closeStreamClients, connectedNow, sleep, startStream, streamClient, tallySubscriber, waitFor } from './support/clients-stream.js';
import { Tally } from './support/tally.js';

afterEach(() => {
  closeStreamClients();
  killServerProcesses();
});

const RATE = 100;
const BEFORE_MS = 3000;
const DOWN_MS = 2000;
const AFTER_MS = 4000;

// Our own redis-server (not the shared one): appendonly yes with appendfsync always, so Redis has
// fsynced every write it answered, and it is SIGKILLed (no shutdown, no last write) mid-stream,
// then started again on the same port and directory, from the append-only file.
describe('Redis restart mid-stream on BUS=redis, AOF with appendfsync always', () => {
  it('SIGKILL of Redis, restart from the AOF: nothing acked lost, refused publishes counted, subscriptions resume', async () => {
    let redis: LocalRedis = await startRedisServer({ appendOnly: true, appendFsync: 'always' });
    const { port, dir } = redis;
    onTestFinished(async () => {
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    });
    const run = randomBytes(3).toString('hex');
    const instances = await startTwoInstances({ BUS: 'redis', REDIS_URL: redis.url, REDIS_KEY_PREFIX: `frr${run}:` });
    const [a, b] = instances.urls.map(wsUrl) as [string, string];
    const channel = `game:${run}`;
    const tally = new Tally('redis-restart');

    // Where the channel stands before the stream: the history after it is read back at the end.
    const archive = await TestClient.connect(b);
    const start = await archive.subscribe(channel);
    expect(start.type).toBe('ack');
    await archive.close();

    const publisher = streamClient('publisher', { urls: [a, b], ackTimeoutMs: 5000 });
    const clients = [streamClient('A-1', { urls: [a, b] }), streamClient('A-2', { urls: [a, b] }), streamClient('B-1', { urls: [b, a] }), streamClient('B-2', { urls: [b, a] })];
    const subscribers = await Promise.all(clients.map((client) => tallySubscriber(tally, client, channel)));
    const names = subscribers.map((subscriber) => subscriber.name);
    await connectedNow(publisher.client);

    const stream = startStream(tally, publisher.client, channel, RATE);
    await sleep(BEFORE_MS);
    const killedAt = Date.now();
    const inFlightAtKill = stream.inFlight();
    await redis.kill('SIGKILL');
    await sleep(DOWN_MS);
    redis = await startRedisServer({ appendOnly: true, appendFsync: 'always', port, dir });
    const restartedAt = Date.now();
    await waitFor(() => stream.firstAckAfter(restartedAt) !== undefined, 'a publish acked after the restart', 20_000);
    await sleep(AFTER_MS);
    await stream.stop();
    await waitFor(() => tally.complete(names), 'every acked message at every subscriber', 30_000);
    await sleep(500); // late duplicates would show up here

    // Every acked publish is in Redis after the restart: read the channel's history back from the start.
    const reader = await TestClient.connect(a);
    const replay = await reader.subscribe(channel, start.position as string);
    expect(replay.type, JSON.stringify(replay)).toBe('ack');
    const ackedSeqs = [...stream.ackedAt.keys()];
    await waitFor(() => new Set(reader.messages(channel).map((frame) => (frame.data as { seq: number }).seq)).size >= ackedSeqs.length, 'the history read back', 20_000);
    const stored = new Set(reader.messages(channel).map((frame) => (frame.data as { seq: number }).seq));
    await reader.close();

    const resumeMs = subscribers.map((subscriber) => (subscriber.firstAfter(restartedAt)?.at ?? NaN) - restartedAt);
    const report = tally.report(names, {
      bus: 'redis',
      redisRestart: 'SIGKILL, appendonly yes, appendfsync always',
      ratePerSecond: RATE,
      redisDownMs: restartedAt - killedAt,
      inFlightAtKill,
      refusedBy: JSON.stringify(Object.fromEntries(stream.refusals)),
      publisherResumeMs: (stream.firstAckAfter(restartedAt) ?? NaN) - restartedAt,
      resumeMsMax: Math.max(...resumeMs),
      ackedMissingFromRedis: ackedSeqs.filter((seq) => !stored.has(seq)).length,
      clientReconnects: clients.reduce((sum, client) => sum + client.instances().length - 1, publisher.instances().length - 1),
      gaps: subscribers.flatMap((subscriber) => subscriber.gaps).length,
    });

    expect(report.lost, 'nothing acked is lost').toBe(0);
    expect(report.duplicated, 'no duplicate at the app').toBe(0);
    expect(report.reordered, 'no reorder at the app').toBe(0);
    expect(report.extra?.['ackedMissingFromRedis'], 'every acked publish survived the restart in Redis').toBe(0);
    expect(report.acked).toBeGreaterThan(RATE * ((BEFORE_MS + AFTER_MS) / 1000) * 0.8);
    for (const ms of resumeMs) expect(ms, 'every subscription delivers again after the restart').toBeLessThan(10_000);
    closeStreamClients();
    await instances.stop();
  }, 90_000);
});
