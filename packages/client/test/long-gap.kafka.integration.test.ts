import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it, onTestFinished } from 'vitest';
import { cleanUpPrefix } from '../../driver-kafka/test/raw-kafka.js';
import { startTwoInstances, wsUrl } from '../../server/test/support/cross-instance.js';
import { killServerProcesses } from '../../server/test/support/server-process.js';
import { TestClient } from '../../server/test/support/test-client.js';
import { collect, connected, connections, testClient, until } from './support/clients.js';
import { startProxy } from './support/tcp-proxy.js';

afterEach(() => {
  killServerProcesses();
});

/** Longer than Socket.IO's connection-state recovery and Ably's resume (2 minutes each). */
const OFFLINE_MS = 125_000;
const BEFORE = 50;
const DURING = 5000;

describe('a long gap on Kafka', () => {
  it(`a client offline for ${OFFLINE_MS / 1000} s while ${DURING} messages pass resumes with since: nothing lost, nothing twice`, async () => {
    const run = randomBytes(3).toString('hex');
    const prefix = `lg${run}-`;
    onTestFinished(() => cleanUpPrefix(prefix));
    const instances = await startTwoInstances({ BUS: 'kafka', KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_TOPIC_PREFIX: prefix });
    const [a, b] = instances.urls.map(wsUrl) as [string, string];
    const channel = `game:${run}`;
    // The player reaches instance A through a proxy that plays the network: cut, then back.
    const network = await startProxy(Number(new URL(a).port));
    const { client: player, events } = testClient({ url: network.wsUrl, backoffMaxMs: 2000 });
    const received = await collect<{ seq: number }>(player, channel);
    await connected(player);
    const publisher = await TestClient.connect(b);
    const publish = async (from: number, to: number): Promise<void> => {
      for (let seq = from; seq < to; seq += 1) publisher.send({ type: 'publish', channel, data: { seq }, id: `p${seq}` });
      await publisher.next((frame) => frame.id === `p${to - 1}`);
    };

    await publish(0, BEFORE);
    await until(() => received.length === BEFORE, 'the messages before the gap', 30_000);
    network.block();
    const offlineFrom = Date.now();
    await publish(BEFORE, BEFORE + DURING);
    expect(publisher.frames.filter((frame) => frame.type === 'error'), 'every publish acked').toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, OFFLINE_MS - (Date.now() - offlineFrom))));
    expect(received.length, 'nothing arrives while offline').toBe(BEFORE);
    network.unblock();

    await until(() => received.length >= BEFORE + DURING, `every message after the gap (got ${received.length})`, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received.map((message) => message.data.seq)).toEqual(Array.from({ length: BEFORE + DURING }, (_, seq) => seq));
    expect(Date.now() - offlineFrom).toBeGreaterThanOrEqual(OFFLINE_MS);
    expect(connections(events), 'one reconnect after the gap').toBe(2);
    expect(events.some(([name]) => name === 'reconnecting'), 'it went through reconnecting').toBe(true);
    player.close();
    await publisher.close();
    await instances.stop();
  }, OFFLINE_MS + 120_000);
});
