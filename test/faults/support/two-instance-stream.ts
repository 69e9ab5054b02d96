import { randomBytes } from 'node:crypto';
import { afterEach, expect, inject, onTestFinished } from 'vitest';
import { cleanUpPrefix } from '../../../packages/driver-kafka/test/raw-kafka.js';
import { deleteKeys } from '../../../packages/driver-redis/test/support/test-bus.js';
import { startTwoInstances, wsUrl, type TwoInstances } from '../../../packages/server/test/support/cross-instance.js';
import { killServerProcesses } from '../../../packages/server/test/support/server-process.js';
import { closeStreamClients, connectedNow, startStream, streamClient, tallySubscriber } from './clients-stream.js';
import { Tally } from './tally.js';

// Whatever a test left behind when it failed halfway: its clients, then its server processes.
afterEach(() => {
  closeStreamClients();
  killServerProcesses();
});

/** The stream both instance-fault tests run: its pace, the quiet time around the fault, and the burst at it. */
export const STREAM = { rate: 100, beforeMs: 3000, afterMs: 5000, burst: 200 } as const;

/** The server settings for `bus` under a key or topic prefix of this run, removed after the test. */
function busEnv(bus: 'redis' | 'kafka', prefix: string): Record<string, string> {
  if (bus === 'redis') {
    onTestFinished(() => deleteKeys(inject('redisUrl'), `${prefix}:`));
    return { BUS: 'redis', REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: `${prefix}:` };
  }
  onTestFinished(() => cleanUpPrefix(`${prefix}-`));
  return { BUS: 'kafka', KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_TOPIC_PREFIX: `${prefix}-` };
}

/**
 * The scenario the instance-fault tests share: two server processes on `bus`; a publisher and two
 * subscribers start on A (the instance the test will break), two subscribers on B; a stream at
 * `rate` per second, counted by `tally`.
 */
export async function startTwoInstanceStream(bus: 'redis' | 'kafka', label: string, prefix: string, rate: number) {
  const run = randomBytes(3).toString('hex');
  const instances: TwoInstances = await startTwoInstances(busEnv(bus, `${prefix}${run}`));
  const [a, b] = instances.urls.map(wsUrl) as [string, string];
  const channel = `game:${run}`;
  const tally = new Tally(`${label} ${bus}`);
  const publisher = streamClient('publisher', { urls: [a, b] });
  const clients = [
    streamClient('A-1', { urls: [a, b] }),
    streamClient('A-2', { urls: [a, b] }),
    streamClient('B-1', { urls: [b, a] }),
    streamClient('B-2', { urls: [b, a] }),
  ];
  const subscribers = await Promise.all(clients.map((client) => tallySubscriber(tally, client, channel)));
  const names = subscribers.map((subscriber) => subscriber.name);
  await connectedNow(publisher.client);
  expect(clients.map((client) => client.instances()[0])).toEqual(['a', 'a', 'b', 'b']);
  const stream = startStream(tally, publisher.client, channel, rate);
  return { instances, tally, publisher, clients, subscribers, names, stream };
}
