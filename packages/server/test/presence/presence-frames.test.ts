import { describe, expect, it } from 'vitest';
import { parseClientFrame } from '../../src/index.js';
import { connect, startTestServer } from '../support/test-server.js';
import { events, members, queryPresence, settle, subscribePresence } from './support/presence-client.js';

describe('presence frames', () => {
  it('parses presence: true on subscribe and the presence frame', () => {
    expect(parseClientFrame('{"type":"subscribe","channel":"room:1","presence":true,"id":"s"}')).toEqual({
      ok: true,
      frame: { type: 'subscribe', channel: 'room:1', presence: true, id: 's' },
    });
    expect(parseClientFrame('{"type":"subscribe","channel":"room:1","presence":false}')).toEqual({ ok: true, frame: { type: 'subscribe', channel: 'room:1' } });
    expect(parseClientFrame('{"type":"presence","channel":"room:1","id":"q"}')).toEqual({ ok: true, frame: { type: 'presence', channel: 'room:1', id: 'q' } });
  });

  it('refuses a presence that is not a boolean with invalid_frame, subscribing nothing', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    for (const presence of ['yes', 1, null, {}]) {
      const reply = await client.request({ type: 'subscribe', channel: 'room:1', presence });
      expect(reply, JSON.stringify(presence)).toMatchObject({ type: 'error', code: 'invalid_frame', message: '"presence" must be true or false' });
    }
    expect(await client.request({ type: 'unsubscribe', channel: 'room:1' })).toMatchObject({ type: 'error', code: 'not_subscribed' });
    expect(await members(client, 'room:1')).toEqual([]);
  });

  it('treats presence: false as a plain subscribe: a member, but no events', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    expect(await client.request({ type: 'subscribe', channel: 'room:1', presence: false })).toMatchObject({ type: 'ack' });
    expect(await members(client, 'room:1')).toEqual(['anon:test-instance/1']);
    await settle();
    expect(events(client, 'room:1')).toEqual([]);
  });

  it('refuses a presence frame without a valid channel', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    client.send({ type: 'presence', id: 'none' });
    expect(await client.next((frame) => frame.id === 'none')).toMatchObject({ type: 'error', code: 'invalid_channel', message: '"presence" needs a "channel"' });
    expect(await queryPresence(client, 'no spaces')).toMatchObject({ type: 'error', code: 'invalid_channel' });
    expect(await queryPresence(client, 42 as unknown as string)).toMatchObject({ type: 'error', code: 'invalid_channel' });
  });

  it('keeps clients out of the presence.* namespaces, which carry the instances\' presence messages', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    const reserved = /reserved for the server's presence messages/;
    expect(await client.subscribe('presence.room:1')).toMatchObject({ type: 'error', code: 'invalid_channel', message: expect.stringMatching(reserved) });
    expect(await client.publish('presence.room:1', { v: 1, type: 'bye', instance: 'x' })).toMatchObject({ type: 'error', code: 'invalid_channel' });
    expect(await queryPresence(client, 'presence.room:1')).toMatchObject({ type: 'error', code: 'invalid_channel' });
    // Only the "presence." prefix is reserved: a namespace named presence is a channel like any other.
    expect(await client.subscribe('presence:1')).toMatchObject({ type: 'ack' });
    expect(await client.subscribe('presences.x')).toMatchObject({ type: 'ack' });
  });

  it('refuses presence on a channel too long to derive its presence channel from, with a clear error', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    const longest = `room:${'x'.repeat(182)}`;
    const tooLong = `room:${'x'.repeat(183)}`;
    expect(longest).toHaveLength(187);
    const fits = await subscribePresence(client, longest);
    expect(fits, JSON.stringify(fits)).toMatchObject({ type: "ack" });
    const refused = await subscribePresence(client, tooLong);
    expect(refused).toMatchObject({ type: 'error', code: 'invalid_channel', channel: tooLong, message: expect.stringContaining('presence needs at most 187') });
    expect(await queryPresence(client, tooLong)).toMatchObject({ type: 'error', code: 'invalid_channel', message: expect.stringContaining('at most 187') });
    // Without presence the channel is fine (up to 196 characters: the bus checks dlq:<channel> too), and it is simply not counted.
    expect(await client.subscribe(tooLong)).toMatchObject({ type: 'ack' });
    expect(await client.publish(tooLong, 'still works')).toMatchObject({ type: 'ack' });
    await client.waitForMessages(tooLong, 1);
    expect((await server.metrics.presenceChannels.get()).values[0]?.value, 'presence follows the 187-character channel only').toBe(1);
  });

  it('turns events on for a channel already subscribed when subscribe comes again with presence: true', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    expect(await client.subscribe('room:1')).toMatchObject({ type: 'ack' });
    expect(await subscribePresence(client, 'room:1')).toMatchObject({ type: 'ack' });
    const other = await connect(server);
    expect(await other.subscribe('room:1')).toMatchObject({ type: 'ack' });
    await client.next((frame) => frame.type === 'join' && frame['user'] === 'anon:test-instance/2');
    // Again: acked, nothing doubled.
    expect(await subscribePresence(client, 'room:1')).toMatchObject({ type: 'ack' });
    await other.close();
    await client.next((frame) => frame.type === 'leave');
    expect(events(client, 'room:1')).toEqual(['join:anon:test-instance/2', 'leave:anon:test-instance/2']);
    expect(await members(client, 'room:1')).toEqual(['anon:test-instance/1']);
  });
});
