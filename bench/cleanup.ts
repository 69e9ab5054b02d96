import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Redis } from 'ioredis';

const MAX_SCAN_STEPS = 10_000;

/** Rejects after `ms` so that no cleanup or probe can hang the run. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Deletes every Redis key starting with `prefix` (SCAN + DEL, bounded); returns how many. */
export async function deleteRedisKeys(url: string, prefix: string, timeoutMs: number): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  const work = async (): Promise<number> => {
    await redis.connect();
    let cursor = '0';
    let deleted = 0;
    for (let step = 0; step < MAX_SCAN_STEPS; step++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
    return deleted;
  };
  try {
    return await withTimeout(work(), timeoutMs, 'redis cleanup');
  } finally {
    redis.disconnect();
  }
}

function kafkaAdmin(brokers: string): Admin {
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: brokers.split(',').map((b) => b.trim()),
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 1 },
    logLevel: logLevel.NOTHING,
  });
  return kafka.admin();
}

/** Undefined when a broker answers a metadata request at `brokers`, else why not. */
export async function probeKafka(brokers: string, timeoutMs: number): Promise<string | undefined> {
  const admin = kafkaAdmin(brokers);
  try {
    await withTimeout(
      admin.connect().then(() => admin.describeCluster()),
      timeoutMs,
      `kafka at ${brokers}`,
    );
    return undefined;
  } catch (error) {
    return `no Kafka broker answered at ${brokers} (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Deletes the topics and consumer groups whose names start with `prefix`; returns what was removed. */
export async function deleteKafkaPrefix(brokers: string, prefix: string, timeoutMs: number): Promise<{ topics: string[]; groups: string[] }> {
  const admin = kafkaAdmin(brokers);
  const work = async (): Promise<{ topics: string[]; groups: string[] }> => {
    await admin.connect();
    const { groups: listed } = await admin.listGroups();
    const groups = listed.map((g) => g.groupId).filter((id) => id.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups);
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    return { topics, groups };
  };
  try {
    return await withTimeout(work(), timeoutMs, 'kafka cleanup');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
