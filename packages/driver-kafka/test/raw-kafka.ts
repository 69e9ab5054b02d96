import { Kafka, logLevel, type Admin, type KafkaMessage } from 'kafkajs';
import { testBrokers, uniqueName } from './bus-factory.js';

/** A plain kafkajs client, as any other Kafka application would use. */
export function rawKafka(brokers: string[] = testBrokers()): Kafka {
  return new Kafka({ brokers, clientId: 'driver-kafka-test-raw', logLevel: logLevel.NOTHING });
}

/** Runs `work` with a connected admin client and disconnects it afterwards. */
export async function withAdmin<T>(work: (admin: Admin) => Promise<T>, brokers?: string[]): Promise<T> {
  const admin = rawKafka(brokers).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Reads every record of `topic` from the beginning until `count` arrived (or throws after `timeoutMs`). */
export async function readRecords(topic: string, count: number, timeoutMs = 20_000): Promise<KafkaMessage[]> {
  const consumer = rawKafka().consumer({ groupId: uniqueName('raw-reader'), maxWaitTimeInMs: 200 });
  const records: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms reading ${count} records of ${topic}; got ${records.length}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          records.push(message);
          if (records.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Deletes the topics and consumer groups whose names start with `prefix` (clean-up on the shared broker). */
export async function cleanUpPrefix(prefix: string): Promise<void> {
  await withAdmin(async (admin) => {
    const groups = (await admin.listGroups()).groups.map((group) => group.groupId).filter((id) => id.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => {});
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  });
}
