/**
 * One member of a consumer group, in its own process, for test/faults/group-rebalance.test.ts.
 * Env: BUS (redis | kafka), CHANNEL, GROUP, PROCESS_MS, and REDIS_URL + REDIS_KEY_PREFIX +
 * REDIS_CLAIM_IDLE_MS or KAFKA_BROKERS + KAFKA_TOPIC_PREFIX + KAFKA_SESSION_TIMEOUT_MS.
 * Prints `ready` once subscribed, then per message `start <seq>` as the handler begins and
 * `handled <seq> <attempt>` after PROCESS_MS of "work", before the handler returns, so the acknowledgement always follows the line.
 */
import type { MessageBus } from '../../../packages/core/src/index.js';
import { createKafkaBus } from '../../../packages/driver-kafka/src/index.js';
import { createRedisBus } from '../../../packages/driver-redis/src/index.js';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`group-member: ${name} is not set`);
  return value;
}

async function createBus(): Promise<MessageBus> {
  const kind = env('BUS');
  if (kind === 'redis') {
    const bus = createRedisBus({
      url: env('REDIS_URL'),
      keyPrefix: env('REDIS_KEY_PREFIX'),
      claimIdleMs: Number(env('REDIS_CLAIM_IDLE_MS')),
      retryDelayMs: 20,
      clientName: `member-${process.pid}`,
    });
    const deadline = Date.now() + 10_000;
    while (bus.status() !== 'ready') {
      if (Date.now() > deadline) throw new Error('group-member: the redis bus did not become ready within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return bus;
  }
  if (kind === 'kafka') {
    const sessionTimeoutMs = Number(env('KAFKA_SESSION_TIMEOUT_MS'));
    return createKafkaBus({
      brokers: env('KAFKA_BROKERS').split(','),
      topicPrefix: env('KAFKA_TOPIC_PREFIX'),
      clientId: `member-${process.pid}`,
      partitions: 4,
      sessionTimeoutMs,
      heartbeatIntervalMs: Math.max(100, Math.floor(sessionTimeoutMs / 6)),
      fetchMaxWaitMs: 100,
      redeliveryDelayMs: 20,
    });
  }
  throw new Error(`group-member: unknown BUS ${kind}`);
}

const bus = await createBus();
const processMs = Number(env('PROCESS_MS'));
await bus.subscribe(
  env('CHANNEL'),
  async (message) => {
    const { seq } = message.data as { seq: number };
    process.stdout.write(`start ${seq}\n`);
    await new Promise((resolve) => setTimeout(resolve, processMs));
    process.stdout.write(`handled ${seq} ${message.attempt}\n`);
  },
  { mode: 'group', group: env('GROUP') },
);
process.stdout.write('ready\n');
process.on('SIGTERM', () => void bus.close().finally(() => process.exit(0)));
