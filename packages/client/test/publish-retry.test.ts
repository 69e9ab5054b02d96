import { createMemoryBus } from '@app/driver-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, startTestServer } from '../../server/test/support/test-server.js';
import { collect, connected, next, testClient, until } from './support/clients.js';
import { gatedBus } from './support/gated-bus.js';
import { startProxy } from './support/tcp-proxy.js';

const buses: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.close()));
});

async function gatedServer(): Promise<{ gate: ReturnType<typeof gatedBus>; server: Awaited<ReturnType<typeof startTestServer>> }> {
  const inner = createMemoryBus();
  buses.push(inner);
  const gate = gatedBus(inner);
  return { gate, server: await startTestServer({ bus: gate.bus }) };
}

describe('publishes across a lost connection', () => {
  it('sends a publish stored but unacknowledged when the connection dropped again with the same messageId: the app sees it once', async () => {
    const { gate, server } = await gatedServer();
    const proxy = await startProxy(server.port);
    const { client: publisher } = testClient({ url: proxy.wsUrl });
    const { client: reader } = testClient({ url: server.wsUrl });
    const seen = await collect(reader, 'game:1');
    const raw = await connect(server);
    await raw.subscribe('game:1');
    await connected(publisher);

    gate.hold();
    const published = publisher.publish('game:1', { move: 'e4' });
    await until(() => raw.messages('game:1').length === 1, 'the message stored and delivered');
    proxy.dropAll();
    await next(publisher, 'disconnected');
    // The server answers now, on a connection that is gone: the ack is lost.
    gate.release();

    const result = await published;
    await until(() => raw.messages('game:1').length === 2, 'the retry stored again');
    const copies = raw.messages('game:1');
    expect(copies.map((frame) => frame.id)).toEqual([result.messageId, result.messageId]);
    expect(copies[1]?.position).toBe(result.position);
    await publisher.publish('game:1', 'marker');
    await until(() => seen.length === 2, 'the marker');
    expect(seen.map((message) => message.data)).toEqual([{ move: 'e4' }, 'marker']);
  });

  it('keeps one channel’s publish order across the resend, the unacknowledged ones ahead of the later ones', async () => {
    const { gate, server } = await gatedServer();
    const proxy = await startProxy(server.port);
    const { client: publisher } = testClient({ url: proxy.wsUrl });
    const { client: reader } = testClient({ url: server.wsUrl });
    const seen = await collect<number>(reader, 'game:1');
    await connected(publisher);
    await publisher.publish('game:1', 0);

    gate.hold();
    const inFlight = [1, 2, 3].map((n) => publisher.publish('game:1', n));
    await until(() => seen.length === 4, 'the three stored');
    proxy.block();
    await next(publisher, 'disconnected');
    gate.release();
    const queued = [4, 5].map((n) => publisher.publish('game:1', n));
    proxy.unblock();
    await Promise.all([...inFlight, ...queued]);
    await until(() => seen.length === 6, 'all six');
    expect(seen.map((message) => message.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('rejects with timeout a publish the server does not answer within ackTimeoutMs', async () => {
    const { gate, server } = await gatedServer();
    const { client } = testClient({ url: server.wsUrl, ackTimeoutMs: 200 });
    await connected(client);
    gate.hold();
    await expect(client.publish('game:1', 'slow')).rejects.toMatchObject({ code: 'timeout', channel: 'game:1' });
    gate.release();
    await expect(client.publish('game:1', 'fast')).resolves.toMatchObject({ messageId: expect.stringMatching(/^anon:/) });
  });
});

describe('publishes while disconnected', () => {
  it('wait in the queue and go out in order on the reconnect', async () => {
    const server = await startTestServer();
    const proxy = await startProxy(server.port);
    const { client } = testClient({ url: proxy.wsUrl });
    const { client: reader } = testClient({ url: server.wsUrl });
    const seen = await collect<number>(reader, 'game:1');
    await connected(client);
    proxy.block();
    await next(client, 'disconnected');
    const results = Promise.all([1, 2, 3].map((n) => client.publish('game:1', n)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual([]);
    proxy.unblock();
    await results;
    await until(() => seen.length === 3, 'three messages');
    expect(seen.map((message) => message.data)).toEqual([1, 2, 3]);
  });

  it('refuses publishes past maxQueuedPublishes with queue_full, and sends the ones it took', async () => {
    const server = await startTestServer();
    const proxy = await startProxy(server.port);
    proxy.block();
    const { client } = testClient({ url: proxy.wsUrl, maxQueuedPublishes: 2 });
    const taken = [client.publish('game:1', 1), client.publish('game:1', 2)];
    await expect(client.publish('game:1', 3)).rejects.toMatchObject({ code: 'queue_full', channel: 'game:1' });
    proxy.unblock();
    expect((await Promise.all(taken)).map((result) => result.messageId)).toHaveLength(2);
  });

  it('rejects what waits with closed when the app closes the client', async () => {
    const server = await startTestServer();
    const proxy = await startProxy(server.port);
    proxy.block();
    const { client } = testClient({ url: proxy.wsUrl });
    const waiting = client.publish('game:1', 1);
    client.close();
    await expect(waiting).rejects.toMatchObject({ code: 'closed', channel: 'game:1' });
  });
});
