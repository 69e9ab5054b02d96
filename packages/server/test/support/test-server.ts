import type { MessageBus } from '@app/core';
import { createMemoryBus, type MemoryBusOptions } from '@app/driver-memory';
import { pino, type Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { afterEach } from 'vitest';
import { startServer, type RunningServer, type ServerConfig } from '../../src/index.js';
import { TestClient } from './test-client.js';

const started: RunningServer[] = [];
const clients: TestClient[] = [];
const buses: MessageBus[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(started.splice(0).map((server) => server.close()));
  await Promise.all(buses.splice(0).map((bus) => bus.close()));
});

export interface TestServerOptions {
  readonly config?: Partial<ServerConfig>;
  /** Options of the in-memory bus made for this server (ignored when `bus` is given). */
  readonly memory?: MemoryBusOptions;
  readonly bus?: MessageBus;
  /** Environment the server reads (AUTH_* in auth tests). Default: empty. */
  readonly env?: Record<string, string>;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Parts swapped in (a child container with replacements under `tokens`), as `startServer` takes it. */
  readonly container?: DependencyContainer;
}

/** A server on a free loopback port with an in-memory bus, stopped after the test. */
export async function startTestServer(options: TestServerOptions = {}): Promise<RunningServer> {
  const bus = options.bus ?? createMemoryBus(options.memory);
  const server = await startServer({
    env: options.env ?? {},
    config: { port: 0, host: '127.0.0.1', instanceId: 'test-instance', ...options.config },
    bus,
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(options.container === undefined ? {} : { container: options.container }),
  });
  started.push(server);
  buses.push(bus);
  return server;
}

/** A connected client, closed after the test. */
export async function connect(
  server: Pick<RunningServer, 'wsUrl'>,
  options?: Parameters<typeof TestClient.connect>[1],
  protocols?: string[],
): Promise<TestClient> {
  const client = await TestClient.connect(server.wsUrl, options, protocols);
  clients.push(client);
  return client;
}
