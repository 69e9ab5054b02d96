import { randomBytes } from 'node:crypto';
import type { MessageBus } from '@app/core';
import { createKafkaBus, type KafkaBusOptions } from '@app/driver-kafka';
import { inject } from 'vitest';
import './harness/provided.js';

/** The brokers the global setup found or started. */
export function testBrokers(): string[] {
  return inject('kafkaBrokers').split(',');
}

/** A fresh name segment, so tests never share topics or groups by accident. */
export function uniqueName(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

/** A bus on the test brokers, with settings that keep the tests quick on a small machine. */
export function testBus(options: KafkaBusOptions = {}): Promise<MessageBus> {
  return createKafkaBus({ brokers: testBrokers(), partitions: 2, healthCheckIntervalMs: 500, ...options });
}
