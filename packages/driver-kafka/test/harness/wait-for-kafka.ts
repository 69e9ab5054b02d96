import { Kafka, logLevel } from 'kafkajs';

/** Resolves once a Kafka cluster at `brokers` answers a metadata request; throws after `timeoutMs`. */
export async function waitForKafka(brokers: string, timeoutMs: number): Promise<number> {
  const kafka = new Kafka({ brokers: brokers.split(','), clientId: 'driver-kafka-test-setup', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
  throw new Error(`Kafka at ${brokers} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}
