import { randomBytes } from 'node:crypto';
import type { MessageBus } from '@app/core';
import { Redis } from 'ioredis';
import { createRedisBus, type RedisBusOptions } from '../../src/index.js';

/** A key prefix no other test run uses. */
export function uniquePrefix(label = 'test'): string {
  return `${label}:${randomBytes(4).toString('hex')}:`;
}

/** Polls until `check` holds; fails naming what was awaited. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, awaited: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${awaited}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A bus that reports `ready` (the factory connects in the background). */
export async function readyBus(options: RedisBusOptions): Promise<MessageBus> {
  const bus = createRedisBus(options);
  try {
    await waitUntil(() => bus.status() === 'ready', 10_000, `the redis bus at ${options.url ?? 'default url'} to be ready`);
  } catch (error) {
    await bus.close();
    throw error;
  }
  return bus;
}

/** A plain ioredis client for looking at (or writing to) Redis behind the bus's back. */
export function rawClient(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = rawClient(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** One connection as `CLIENT LIST` describes it. */
export interface ClientInfo {
  readonly id: string;
  readonly name: string;
  readonly addr: string;
}

/** The connections whose `CLIENT SETNAME` name starts with `prefix`. */
export async function clientsNamed(raw: Redis, prefix: string): Promise<ClientInfo[]> {
  const list = (await raw.call('CLIENT', ['LIST'])) as string;
  return list
    .split('\n')
    .map((line) => Object.fromEntries(line.split(' ').map((field) => field.split('=') as [string, string])))
    .filter((fields) => typeof fields['name'] === 'string' && fields['name'].startsWith(prefix))
    .map((fields) => ({ id: fields['id'] as string, name: fields['name'] as string, addr: fields['addr'] as string }));
}
