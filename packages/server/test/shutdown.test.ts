import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/index.js';
import { TestClient } from './support/test-client.js';

describe('graceful shutdown', () => {
  it('closes clients with 1001, closes the bus it created, and refuses new connections', async () => {
    const server = await startServer({ env: { BUS: 'memory' }, config: { port: 0, host: '127.0.0.1' }, logger: pino({ level: 'silent' }) });
    const first = await TestClient.connect(server.wsUrl);
    const second = await TestClient.connect(server.wsUrl);
    await first.subscribe('lobby');
    await second.subscribe('lobby');
    expect(await first.publish('lobby', 'before shutdown')).toMatchObject({ type: 'ack' });
    await second.waitForMessages('lobby', 1);

    await server.close();
    expect(await first.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await second.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(server.bus.status()).toBe('closed');
    await expect(TestClient.connect(server.wsUrl)).rejects.toThrow(/ECONNREFUSED/);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('leaves a bus it was given open', async () => {
    const { createMemoryBus } = await import('@app/driver-memory');
    const bus = createMemoryBus();
    const server = await startServer({ env: {}, config: { port: 0, host: '127.0.0.1' }, bus, logger: pino({ level: 'silent' }) });
    await server.close();
    expect(bus.status()).toBe('ready');
    await bus.close();
  });
});
