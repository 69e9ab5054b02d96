/**
 * Entry point of the child process the conformance suite forks for the cross-process cases: it
 * builds one bus through the target's remote factory and publishes and subscribes on the parent's
 * behalf over the IPC channel. It imports no test framework, only the bus module it is told to.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MessageBus } from '../message-bus.js';
import type { RemoteFailure, RemoteReply, RemoteRequest } from './remote-protocol.js';
import type { JsonValue } from './target.js';

let bus: MessageBus | undefined;
let subscriptions = 0;

function send(reply: RemoteReply): void {
  process.send?.(reply);
}

function failure(error: unknown): RemoteFailure {
  if (error instanceof Error) {
    const fields = error as Error & { reason?: unknown; isRetryable?: unknown };
    return {
      message: error.message,
      ...(typeof fields.reason === 'string' ? { reason: fields.reason } : {}),
      ...(typeof fields.isRetryable === 'boolean' ? { retryable: fields.isRetryable } : {}),
    };
  }
  return { message: String(error) };
}

function theBus(): MessageBus {
  if (bus === undefined) throw new Error('the remote bus was not started');
  return bus;
}

async function start(request: Extract<RemoteRequest, { op: 'start' }>): Promise<JsonValue> {
  // A path becomes a file URL; a URL or a bare specifier is imported as given.
  const specifier = isAbsolute(request.module) ? pathToFileURL(request.module).href : request.module;
  const loaded = (await import(specifier)) as Record<string, unknown>;
  const factory = loaded[request.export];
  if (typeof factory !== 'function') throw new Error(`module ${request.module} has no function export "${request.export}"`);
  bus = (await (factory as (args: JsonValue) => Promise<MessageBus>)(request.args)) as MessageBus;
  // Like TestContext.bus(): drivers may connect in the background.
  const deadline = Date.now() + 30_000;
  while (bus.status() !== 'ready' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  if (bus.status() !== 'ready') throw new Error(`the remote bus was not ready within 30 s (status "${bus.status()}")`);
  return { driver: bus.driver, features: [...bus.features] };
}

async function handle(request: RemoteRequest): Promise<JsonValue> {
  switch (request.op) {
    case 'start':
      return start(request);
    case 'publish': {
      const receipt = await theBus().publish(request.channel, request.data);
      return { id: receipt.id, ...(receipt.position === undefined ? {} : { position: receipt.position }) };
    }
    case 'subscribe': {
      subscriptions += 1;
      const subscription = subscriptions;
      const made = await theBus().subscribe(
        request.channel,
        (message) => {
          const { id, channel, data, headers, timestamp, position, attempt } = message;
          send({ kind: 'message', subscription, message: { id, channel, data: data as JsonValue, headers, timestamp, position, attempt } });
        },
        request.group !== undefined ? { mode: 'group', group: request.group } : request.from === undefined ? {} : { from: request.from },
      );
      return { subscription, replay: made.replay, ...(made.startPosition === undefined ? {} : { startPosition: made.startPosition }) };
    }
    case 'close':
      await bus?.close();
      return null;
  }
}

process.on('message', (raw: RemoteRequest) => {
  handle(raw).then(
    (value) => {
      send({ kind: 'answer', id: raw.id, ok: true, value });
      if (raw.op === 'close') process.disconnect();
    },
    (error: unknown) => send({ kind: 'answer', id: raw.id, ok: false, error: failure(error) }),
  );
});
// The parent went away (a crashed test run): do not linger holding broker connections.
process.on('disconnect', () => {
  void Promise.resolve(bus?.close()).finally(() => process.exit(0));
});
