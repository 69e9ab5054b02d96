import 'reflect-metadata';
import { createMemoryBus } from '@app/driver-memory';
import { container, type DependencyContainer } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import type { ConnectionSocket } from '../src/client-socket.js';
import { SocketConnectionFactory, type AcceptedSocket, type ConnectionFactory } from '../src/connection-factory.js';
import { Connection } from '../src/connection.js';
import { tokens } from '../src/index.js';
import { ExpiringBus } from './support/expiring-bus.js';
import type { Frame } from './support/test-client.js';
import { connect, startTestServer } from './support/test-server.js';

/** Makes connections as the server does, recording every message frame buffer each one writes. */
class RecordingFactory implements ConnectionFactory {
  /** Per connection, in accept order: the framed buffers handed to its socket. */
  readonly framed: Buffer[][] = [];

  constructor(private readonly inner: SocketConnectionFactory) {}

  create(accepted: AcceptedSocket): Connection {
    const socket = this.inner.socketFor(accepted);
    const log: Buffer[] = [];
    this.framed.push(log);
    const recording: ConnectionSocket = {
      ws: socket.ws,
      send: (frame) => socket.send(frame),
      sendFramed: (frame) => {
        log.push(frame);
        return socket.sendFramed(frame);
      },
      close: (code, reason) => socket.close(code, reason),
    };
    return new Connection(recording, this.inner.deps, accepted);
  }
}

/** Parts for a server whose bus can end subscriptions with position_expired and whose connections are recorded. */
function parts(bus: ExpiringBus): { scope: DependencyContainer; recorded: () => RecordingFactory } {
  const scope = container.createChildContainer();
  let factory: RecordingFactory | undefined;
  scope.register(tokens.BUS, { useValue: bus });
  // Resolved in the server's own scope, so the default factory it wraps shares that server's hub and bus.
  scope.register(tokens.CONNECTION_FACTORY, { useFactory: (server) => (factory ??= new RecordingFactory(server.resolve(SocketConnectionFactory))) });
  return {
    scope,
    recorded: () => {
      if (factory === undefined) throw new Error('no connection was made yet');
      return factory;
    },
  };
}

const data = (frames: Frame[]): unknown[] => frames.map((frame) => frame.data);

async function gauge(server: { metrics: { busSubscriptions: { get(): Promise<{ values: { value: number }[] }> } } }): Promise<number> {
  return (await server.metrics.busSubscriptions.get()).values[0]?.value ?? 0;
}

describe('a shared subscription the bus ends for falling behind', () => {
  it('is resumed from the last message: plain and since-clients get every message once, in one frame the hub encoded once', async () => {
    const bus = new ExpiringBus(createMemoryBus());
    const { scope, recorded } = parts(bus);
    const server = await startTestServer({ container: scope });
    const plain = await connect(server);
    const resumed = await connect(server);
    const publisher = await connect(server);
    await plain.subscribe('game:1');
    await publisher.publish('game:1', 1);
    await publisher.publish('game:1', 2);
    const [first] = await plain.waitForMessages('game:1', 2);
    expect(await resumed.subscribe('game:1', String(first?.position))).toMatchObject({ type: 'ack' });
    await resumed.waitForMessages('game:1', 1);
    await publisher.publish('game:1', 3);
    await resumed.waitForMessages('game:1', 2);
    // The replay handed over to the shared stream: only the hub's subscription is left.
    await expect.poll(() => gauge(server)).toBe(1);

    for (let n = 4; n <= 5; n += 1) await publisher.publish('game:1', n);
    bus.stall('game:1');
    for (let n = 6; n <= 8; n += 1) await publisher.publish('game:1', n);
    expect(await bus.expire('game:1')).toBe(1);
    await publisher.publish('game:1', 9);
    await plain.waitForMessages('game:1', 9);
    await resumed.waitForMessages('game:1', 8);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(data(plain.messages('game:1'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(data(resumed.messages('game:1'))).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...plain.frames, ...resumed.frames].filter((frame) => frame.type === 'unsubscribed')).toEqual([]);
    // 4..9 went to both clients live: the since-client wrote the very buffers the plain one did.
    const [plainFramed = [], resumedFramed = []] = recorded().framed;
    expect(resumedFramed.length).toBeGreaterThanOrEqual(6);
    const shared = plainFramed.slice(-6);
    resumedFramed.slice(-6).forEach((framed, index) => expect(framed).toBe(shared[index]));
    const text = await server.metrics.registry.getSingleMetricAsString('realtime_bus_resumes_total');
    expect(text).toContain('result="exact"} 1');
  });

  it('tells each client of a real gap with an unsubscribed frame (position_expired) and sends nothing after it on that channel', async () => {
    const bus = new ExpiringBus(createMemoryBus({ historyPerChannel: 2 }));
    const server = await startTestServer({ container: parts(bus).scope });
    const client = await connect(server);
    const publisher = await connect(server);
    await client.subscribe('game:1');
    await publisher.publish('game:1', 1);
    await client.waitForMessages('game:1', 1);
    bus.stall('game:1');
    for (let n = 2; n <= 6; n += 1) await publisher.publish('game:1', n);
    await bus.expire('game:1');
    const notice = await client.next((frame) => frame.type === 'unsubscribed');
    expect(notice).toMatchObject({ type: 'unsubscribed', channel: 'game:1', code: 'position_expired' });
    await publisher.publish('game:1', 7);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(data(client.messages('game:1'))).toEqual([1]);
    // The client is no longer subscribed, so it may subscribe again (with since, to resume).
    expect(await client.subscribe('game:1', String(client.messages('game:1')[0]?.position))).toMatchObject({ type: 'error', code: 'position_expired' });
  });

  it('has a since-client whose own replay the bus ended resume from its last message: nothing lost, nothing doubled', async () => {
    // Unordered: no handover, the replay subscription is the client's whole stream.
    const bus = new ExpiringBus(createMemoryBus(), { unordered: true });
    const server = await startTestServer({ container: parts(bus).scope });
    const client = await connect(server);
    const publisher = await connect(server);
    await publisher.publish('game:1', 1);
    const receipt = await publisher.publish('game:1', 2);
    expect(await client.subscribe('game:1', String(receipt.position))).toMatchObject({ type: 'ack' });
    await publisher.publish('game:1', 3);
    await client.waitForMessages('game:1', 1);
    bus.stall('game:1');
    await publisher.publish('game:1', 4);
    await publisher.publish('game:1', 5);
    await bus.expire('game:1');
    const notice = await client.next((frame) => frame.type === 'unsubscribed');
    expect(notice).toMatchObject({ channel: 'game:1', code: 'position_expired' });
    const last = client.messages('game:1').at(-1);
    expect(await client.subscribe('game:1', String(last?.position))).toMatchObject({ type: 'ack' });
    await publisher.publish('game:1', 6);
    await client.waitForMessages('game:1', 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(data(client.messages('game:1'))).toEqual([3, 4, 5, 6]);
  });
});
