import { withTimeout } from '@app/core';
import { expect } from 'vitest';
import { spawnServer, type ServerProcess } from './server-process.js';
import { TestClient, type Frame } from './test-client.js';

/** Two server processes on one backend, each with WebSocket subscribers. */
export interface TwoInstances {
  readonly servers: readonly [ServerProcess, ServerProcess];
  readonly urls: readonly [string, string];
  stop(): Promise<void>;
}

export async function startTwoInstances(env: Record<string, string>): Promise<TwoInstances> {
  // The scenarios publish 1,000 messages from one connection at once: no per-connection rate limit, unless a test sets one.
  const base = { PUBLISH_RATE_PER_CONNECTION: '0', ...env, PORT: '0' };
  const servers = [spawnServer({ ...base, INSTANCE_ID: 'a' }), spawnServer({ ...base, INSTANCE_ID: 'b' })] as const;
  const urls = (await Promise.all(servers.map((server) => server.listening(90_000)))) as [string, string];
  return {
    servers,
    urls,
    stop: async () => {
      const codes = await Promise.all(servers.map((server) => server.stop()));
      expect(codes, 'both servers exit 0 on SIGTERM').toEqual([0, 0]);
    },
  };
}

export const wsUrl = (url: string): string => `${url.replace(/^http/, 'ws')}/ws`;

/** Connects a client and subscribes it to every channel, asserting each subscribe is acked. */
export async function subscriber(url: string, channels: readonly string[]): Promise<TestClient> {
  const client = await TestClient.connect(wsUrl(url));
  for (const channel of channels) {
    const reply = await client.subscribe(channel);
    expect(reply.type, JSON.stringify(reply)).toBe('ack');
  }
  return client;
}

/**
 * Publishes `count` messages round-robin over `channels` without waiting between them (the
 * server sees a pipelined stream), then waits for every ack. `data` is `{ seq, from }`, where
 * `seq` counts per channel.
 */
export async function publishMany(client: TestClient, channels: readonly string[], count: number, from: string): Promise<void> {
  const perChannel = new Map(channels.map((channel) => [channel, 0]));
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const channel = channels[index % channels.length] as string;
    const seq = perChannel.get(channel) ?? 0;
    perChannel.set(channel, seq + 1);
    const id = `${from}-${index}`;
    ids.push(id);
    client.send({ type: 'publish', channel, data: { seq, from }, id });
  }
  const replies = await withTimeout(
    Promise.all(ids.map((id) => client.next((frame) => frame.id === id && (frame.type === 'ack' || frame.type === 'error')))),
    120_000,
    `${count} publish acks`,
  );
  const errors = replies.filter((frame) => frame.type === 'error');
  expect(errors, 'every publish acked').toEqual([]);
}

/** Asserts the client got, on each channel, exactly `perChannel` messages from `from`, in order. */
export async function expectInOrder(client: TestClient, channels: readonly string[], perChannel: number, from: string, label: string): Promise<void> {
  for (const channel of channels) {
    const ofSender = (): Frame[] => client.messages(channel).filter((frame) => (frame.data as { from?: string }).from === from);
    await withTimeout(
      client.next(() => ofSender().length >= perChannel),
      120_000,
      `${perChannel} messages from ${from} on ${channel} at ${label} (got ${ofSender().length})`,
    );
    const sequence = ofSender().map((frame) => (frame.data as { seq: number }).seq);
    expect(sequence, `${label}: ${channel} complete, in order, no duplicates`).toEqual(Array.from({ length: perChannel }, (_, index) => index));
    const ids = ofSender().map((frame) => frame.id);
    expect(new Set(ids).size, `${label}: message ids unique`).toBe(ids.length);
  }
}

/**
 * The cross-instance scenario every bus runs: two subscribers on each instance, 1,000 messages
 * over two channels published on instance A, then 100 the other way, each checked complete and in
 * order per channel at every subscriber.
 */
export async function fanOutAcrossInstances(instances: TwoInstances, channels: readonly string[]): Promise<void> {
  const [a, b] = instances.urls;
  const listeners = await Promise.all([subscriber(a, channels), subscriber(a, channels), subscriber(b, channels), subscriber(b, channels)]);
  const publisher = await subscriber(a, []);
  await publishMany(publisher, channels, 1000, 'a');
  for (const [index, client] of listeners.entries()) await expectInOrder(client, channels, 500, 'a', `subscriber ${index} on ${index < 2 ? 'A' : 'B'}`);
  const backwards = await subscriber(b, []);
  await publishMany(backwards, channels, 100, 'b');
  for (const [index, client] of listeners.entries()) await expectInOrder(client, channels, 50, 'b', `subscriber ${index}`);
  await Promise.all([...listeners, publisher, backwards].map((client) => client.close()));
}

/**
 * Each instance's `/readyz` answers ready with `security`, its `server listening` log line names
 * the same, and nothing it printed holds `secret`.
 */
export async function expectSecurityReported(instances: TwoInstances, security: { protocol: string; mechanism?: string }, secret: string): Promise<void> {
  for (const [k, url] of instances.urls.entries()) {
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', bus: 'ready', security });
    const out = instances.servers[k]?.stdout() ?? '';
    const listening = out.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg?: string; security?: unknown })
      .find((entry) => entry.msg === 'server listening');
    expect(listening?.security).toEqual(security);
    expect(out).not.toContain(secret);
  }
}
