import type { MessageBus } from '@app/core';
import { createKafkaBus } from '@app/driver-kafka';

/** What the conformance target hands the child process: the brokers and topic prefix of its buses. */
export interface RemoteKafkaArgs {
  readonly brokers: readonly string[];
  readonly topicPrefix: string;
}

/**
 * Makes the conformance suite's bus in another process (RemoteBusFactory export), with the
 * settings of bus-factory.ts's testBus (which reads vitest's inject, absent in a child process).
 */
export function remoteKafkaBus(args: RemoteKafkaArgs): Promise<MessageBus> {
  return createKafkaBus({ brokers: [...args.brokers], partitions: 2, healthCheckIntervalMs: 500, topicPrefix: args.topicPrefix, clientId: 'conformance-remote' });
}
