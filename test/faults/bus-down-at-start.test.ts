import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it, onTestFinished } from 'vitest';
import { startProxy } from '../../packages/client/test/support/tcp-proxy.js';
import { freePort, startRedisServer } from '../../packages/driver-redis/test/harness/redis-server.js';
import { deleteKeys } from '../../packages/driver-redis/test/support/test-bus.js';
import { killServerProcesses, spawnServer, type ServerProcess } from '../../packages/server/test/support/server-process.js';
import { TestClient } from '../../packages/server/test/support/test-client.js';
import { sleep, waitFor } from './support/clients-stream.js';
import { Tally } from './support/tally.js';

afterEach(() => {
  killServerProcesses();
});

const READY_WITHIN_MS = 15_000;

async function readyz(base: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Log lines (JSON) whose `msg` is `msg`. */
function logged(server: ServerProcess, msg: string): Record<string, unknown>[] {
  return server
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry['msg'] === msg);
}

/** Polls /readyz until 200; the ms it took from `since`. */
async function readyAfter(base: string, since: number): Promise<number> {
  const deadline = since + READY_WITHIN_MS;
  for (;;) {
    const { status } = await readyz(base).catch(() => ({ status: 0 }));
    if (status === 200) return Date.now() - since;
    if (Date.now() > deadline) throw new Error(`/readyz not 200 within ${READY_WITHIN_MS} ms`);
    await sleep(100);
  }
}

/** One publish through the server, received by a subscriber on it: a Tally of one. */
async function roundTrip(tally: Tally, base: string, channel: string): Promise<void> {
  const ws = `${base.replace(/^http/, 'ws')}/ws`;
  const subscriber = await TestClient.connect(ws);
  const publisher = await TestClient.connect(ws);
  try {
    const subscribed = await subscriber.subscribe(channel);
    expect(subscribed.type, JSON.stringify(subscribed)).toBe('ack');
    const seq = tally.send();
    const ack = await publisher.publish(channel, { seq });
    expect(ack.type, JSON.stringify(ack)).toBe('ack');
    tally.ack(seq);
    const [message] = await subscriber.waitForMessages(channel, 1);
    tally.receive('subscriber', (message?.data as { seq: number }).seq);
  } finally {
    await Promise.all([subscriber.close(), publisher.close()]);
  }
}

describe('bus down when the server starts', () => {
  it('Redis: nothing on the port at start, /readyz 503 and a log line; redis-server started: ready with no restart', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const prefix = `fbd${randomBytes(3).toString('hex')}:`;
    const server = spawnServer({ BUS: 'redis', REDIS_URL: url, REDIS_KEY_PREFIX: prefix, PORT: '0', PUBLISH_RATE_PER_CONNECTION: '0' });
    const base = await server.listening();
    const down = await readyz(base);
    expect(down.status).toBe(503);
    expect(down.body['bus']).not.toBe('ready');
    await waitFor(() => logged(server, 'cannot reach Redis yet; retrying').length > 0, 'the "cannot reach Redis yet; retrying" log line', 10_000);
    await sleep(1000); // down for a while, not just at the first attempt

    const redis = await startRedisServer({ port });
    onTestFinished(async () => {
      await deleteKeys(url, prefix).catch(() => {});
      await redis.dispose();
    });
    const startedAt = Date.now();
    const readyMs = await readyAfter(base, startedAt);
    expect(server.child.exitCode).toBeNull();
    const tally = new Tally('bus-down-at-start-redis');
    await roundTrip(tally, base, `game:${prefix.slice(3, -1)}`);
    const report = tally.report(['subscriber'], { bus: 'redis', readyAfterBusUpMs: readyMs, readyWithinMs: READY_WITHIN_MS, logLine: 'cannot reach Redis yet; retrying', restarts: 0 });
    expect(report.lost).toBe(0);
    expect(report.acked).toBe(1);
  });

  // The Kafka bus is made only once a broker answers; the server listens before that, answering
  // /readyz 503 meanwhile, and logs "cannot reach Kafka yet; retrying" while it waits.
  it('Kafka: proxy blocked at start, /readyz 503 and a log line; unblocked: ready with no restart', async () => {
    const brokers = inject('kafkaBrokers');
    const first = Number(brokers.split(',')[0]?.split(':')[1]);
    const proxy = await startProxy(first);
    proxy.block();
    const proxyPort = Number(new URL(proxy.wsUrl).port);
    const prefix = `fbd${randomBytes(3).toString('hex')}.`;
    onTestFinished(async () => {
      const { cleanUpPrefix } = await import('../../packages/driver-kafka/test/raw-kafka.js');
      await cleanUpPrefix(prefix).catch(() => {});
    });
    const httpPort = await freePort();
    const server = spawnServer({
      BUS: 'kafka',
      KAFKA_BROKERS: `127.0.0.1:${proxyPort}`,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_CONNECT_TIMEOUT_MS: '60000',
      PORT: String(httpPort),
      PUBLISH_RATE_PER_CONNECTION: '0',
    });
    const base = `http://127.0.0.1:${httpPort}`;
    await waitFor(() => logged(server, 'cannot reach Kafka yet; retrying').length > 0, 'the "cannot reach Kafka yet; retrying" log line', 15_000);
    await sleep(4000); // down past kafkajs's own retries (about 3 s), which alone used to end the start
    expect(server.child.exitCode).toBeNull();
    const down = await readyz(base);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'starting', bus: 'connecting' });
    expect((await fetch(`${base}/healthz`)).status, 'alive while not ready').toBe(200);

    proxy.unblock();
    const unblockedAt = Date.now();
    expect(await server.listening(READY_WITHIN_MS)).toBe(base);
    const readyMs = await readyAfter(base, unblockedAt);
    expect(server.child.exitCode).toBeNull();
    const tally = new Tally('bus-down-at-start-kafka');
    await roundTrip(tally, base, `game:${prefix.slice(3, -1)}`);
    const report = tally.report(['subscriber'], {
      bus: 'kafka',
      readyAfterBusUpMs: readyMs,
      readyWithinMs: READY_WITHIN_MS,
      attemptsWhileDown: logged(server, 'cannot reach Kafka yet; retrying').length,
      logLine: 'cannot reach Kafka yet; retrying',
      readyzWhileDown: down.status,
      restarts: 0,
    });
    expect(report.lost).toBe(0);
    expect(report.acked).toBe(1);
  });
});
