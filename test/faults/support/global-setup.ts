import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The three-node Kafka the fault tests kill and restart nodes of (`pnpm kafka:up --nodes 3`). */
    kafkaBrokers: string;
    /** A Redis the tests may use; the Redis-restart test starts its own server. */
    redisUrl: string;
  }
}

/**
 * The fault suite breaks real brokers, so it never starts them silently: CI (`.ci/run`) starts a
 * three-node Kafka and Redis and names them here; a run without them fails saying what to start.
 */
export default function setup(project: TestProject): void {
  const kafkaBrokers = process.env['KAFKA_BROKERS'];
  const redisUrl = process.env['REDIS_URL'];
  if (kafkaBrokers === undefined || kafkaBrokers.split(',').length < 3 || redisUrl === undefined) {
    throw new Error(
      'the fault suite needs a three-node Kafka and a Redis: run `pnpm kafka:up --nodes 3`, then ' +
        'KAFKA_BROKERS=127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094 REDIS_URL=redis://127.0.0.1:6379 pnpm test:faults',
    );
  }
  // Each run's figures alone: the tests append to this file.
  rmSync('test-results/faults.jsonl', { force: true });
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('redisUrl', redisUrl);
}
