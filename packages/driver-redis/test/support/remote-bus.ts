import type { MessageBus } from '@app/core';
import { createRedisBus } from '../../src/index.js';
import { waitUntil } from './test-bus.js';

/** What the conformance target hands the child process: the backend and key prefix of its buses. */
export interface RemoteRedisArgs {
  readonly url: string;
  readonly keyPrefix: string;
}

/**
 * Makes the conformance suite's bus in another process (RemoteBusFactory export): same Redis and
 * key prefix as the buses of the target's setup, so the two processes share channels.
 */
export async function remoteRedisBus(args: RemoteRedisArgs): Promise<MessageBus> {
  const bus = createRedisBus({ url: args.url, keyPrefix: args.keyPrefix, retryDelayMs: 20, persistent: true });
  await waitUntil(() => bus.status() === 'ready', 10_000, `the redis bus at ${args.url} to be ready`);
  return bus;
}
