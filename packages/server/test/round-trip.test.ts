import { describe, expect, it, vi } from 'vitest';
import { connect, startTestServer } from './support/test-server.js';

describe('publish and subscribe over WebSocket', () => {
  it('greets each client with the instance it reached', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    expect(client.frames[0]).toMatchObject({ type: 'welcome', protocol: 1, instance: 'test-instance', driver: 'memory' });
  });

  it('delivers a published message back to a subscriber, with id and position', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    expect(await client.subscribe('lobby')).toMatchObject({ type: 'ack' });
    expect(await client.publish('lobby', { text: 'hello' })).toMatchObject({ type: 'ack' });
    const [message] = await client.waitForMessages('lobby', 1);
    expect(message).toMatchObject({ type: 'message', channel: 'lobby', data: { text: 'hello' } });
    expect(typeof message?.id).toBe('string');
    expect(typeof message?.position).toBe('string');
  });

  it('sends no ack for frames without an id, but still acts on them', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    client.send({ type: 'subscribe', channel: 'quiet' });
    client.send({ type: 'publish', channel: 'quiet', data: 1 });
    await client.waitForMessages('quiet', 1);
    expect(client.frames.filter((frame) => frame.type === 'ack')).toEqual([]);
  });

  it('delivers to two clients on one channel through one shared bus subscription', async () => {
    const server = await startTestServer();
    const subscribe = vi.spyOn(server.bus, 'subscribe');
    const alice = await connect(server);
    const bob = await connect(server);
    await alice.subscribe('game:1');
    await bob.subscribe('game:1');
    await alice.publish('game:1', 'from alice');
    await bob.publish('game:1', 'from bob');
    const seenByAlice = await alice.waitForMessages('game:1', 2);
    const seenByBob = await bob.waitForMessages('game:1', 2);
    expect(seenByAlice.map((frame) => frame.data)).toEqual(['from alice', 'from bob']);
    expect(seenByBob.map((frame) => frame.data)).toEqual(['from alice', 'from bob']);
    // One for the channel; presence follows presence.game:1 on a subscription of its own.
    expect(subscribe.mock.calls.filter(([channel]) => channel === 'game:1')).toHaveLength(1);
  });

  it('keeps one client\'s publishes in order', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    await client.subscribe('ordered');
    for (let index = 0; index < 200; index += 1) client.send({ type: 'publish', channel: 'ordered', data: index });
    const messages = await client.waitForMessages('ordered', 200);
    expect(messages.map((frame) => frame.data)).toEqual([...Array(200).keys()]);
  });

  it('allows publishing to a channel the client is not subscribed to', async () => {
    const server = await startTestServer();
    const listener = await connect(server);
    const publisher = await connect(server);
    await listener.subscribe('scores');
    expect(await publisher.publish('scores', 42)).toMatchObject({ type: 'ack' });
    expect((await listener.waitForMessages('scores', 1))[0]?.data).toBe(42);
  });

  it('stops delivery after unsubscribe, and releases the bus subscription with the last client', async () => {
    const server = await startTestServer();
    const leaver = await connect(server);
    const stayer = await connect(server);
    await leaver.subscribe('room');
    await stayer.subscribe('room');
    expect(await leaver.request({ type: 'unsubscribe', channel: 'room' })).toMatchObject({ type: 'ack' });
    await stayer.publish('room', 'after');
    await stayer.waitForMessages('room', 1);
    // The hub fans out to every listener at once, so had the leaver still been one, its copy
    // would be queued before the reply to this later request.
    await leaver.subscribe('elsewhere');
    expect(leaver.messages('room')).toEqual([]);
    expect(await stayer.request({ type: 'unsubscribe', channel: 'room' })).toMatchObject({ type: 'ack' });
    await expect.poll(() => server.metrics.busSubscriptions.get().then((metric) => metric.values[0]?.value)).toBe(1);
  });

  it('acks a duplicate subscribe and still delivers each message once', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    expect(await client.subscribe('dup')).toMatchObject({ type: 'ack' });
    expect(await client.subscribe('dup')).toMatchObject({ type: 'ack' });
    await client.publish('dup', 'one');
    await client.publish('dup', 'two');
    await client.waitForMessages('dup', 2);
    await client.subscribe('marker');
    expect(client.messages('dup').map((frame) => frame.data)).toEqual(['one', 'two']);
  });
});
