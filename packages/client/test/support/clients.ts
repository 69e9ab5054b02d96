import { afterEach } from 'vitest';
import { createClient, type Client, type ClientEvents, type ClientOptions, type Message } from '../../src/index.js';

const made: Client[] = [];

afterEach(() => {
  for (const client of made.splice(0)) client.close();
});

/** Every event of a client, in order, as `[name, payload]`. */
export type EventLog = [keyof ClientEvents, unknown][];

/** A client with a fast backoff (tests should not wait out 10 s windows), closed after the test; with its event log. */
export function testClient(options: ClientOptions): { client: Client; events: EventLog } {
  const client = createClient({ backoffBaseMs: 20, backoffMaxMs: 200, ...options });
  made.push(client);
  const events: EventLog = [];
  for (const name of ['connecting', 'connected', 'disconnected', 'reconnecting', 'closed', 'error'] as const) {
    client.on(name, (payload) => events.push([name, payload]));
  }
  return { client, events };
}

/** Polls until `check` holds; fails naming what was awaited. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with the payload of the client's next `event`. */
export function next<K extends keyof ClientEvents>(client: Client, event: K): Promise<ClientEvents[K]> {
  return new Promise((resolve) => {
    const off = client.on(event, (payload) => {
      off();
      resolve(payload);
    });
  });
}

/** Resolves once the client is connected (at once if it is). */
export async function connected(client: Client): Promise<void> {
  if (client.state !== 'connected') await next(client, 'connected');
}

/** Subscribes and collects what the app is handed; resolves once the server confirmed the subscription. */
export async function collect<T = unknown>(client: Client, channel: string): Promise<Message<T>[]> {
  const messages: Message<T>[] = [];
  await client.subscribe<T>(channel, (message) => messages.push(message)).ready;
  return messages;
}

/** How many `connected` events the log has. */
export const connections = (events: EventLog): number => events.filter(([name]) => name === 'connected').length;
