import type { AddressInfo } from 'node:net';
import { BusError, type MessageBus } from '@app/core';
import { createMemoryBus } from '@app/driver-memory';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createBusWhenReachable, listenOn, startingServer } from '../src/starting-server.js';
import { upgradeAnswer } from './support/raw-upgrade.js';

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

describe('the port while the bus starts', () => {
  it('answers /healthz 200, /readyz 503, everything else and every upgrade 503', async () => {
    const server = startingServer();
    servers.push(server);
    await listenOn(server, 0, '127.0.0.1');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'starting', bus: 'connecting' });
    const other = await fetch(`${base}/api/publish`, { method: 'POST' });
    expect(other.status).toBe(503);
    expect(other.headers.get('retry-after')).toBe('1');
    expect(other.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await upgradeAnswer(`${base.replace('http', 'ws')}/ws`)).status).toBe(503);
  });

  it('creates the bus once it is reachable, retrying only retryable errors', async () => {
    const bus = createMemoryBus();
    let attempts = 0;
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const created = await createBusWhenReachable(async (): Promise<MessageBus> => {
      attempts += 1;
      if (attempts < 3) throw new BusError('not_connected', 'connecting to Kafka at 127.0.0.1:1 failed');
      return bus;
    }, logger);
    expect(created).toBe(bus);
    expect(attempts).toBe(3);
    expect(lines.filter((line) => line.includes('message bus not reachable yet; retrying'))).toHaveLength(2);
    await bus.close();
    let configAttempts = 0;
    const refused = await createBusWhenReachable(() => {
      configAttempts += 1;
      return Promise.reject(new BusError('config', 'KAFKA_BROKERS is empty'));
    }, logger).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BusError);
    expect(configAttempts).toBe(1);
  }, 10_000);
});
