import { createMemoryBus } from '@app/driver-memory';
import { describe, expect, it } from 'vitest';
import { connect, startTestServer } from './support/test-server.js';
import { withoutReplay } from './support/without-replay.js';

async function busSubscriptions(server: { metrics: { busSubscriptions: { get(): Promise<{ values: { value: number }[] }> } } }): Promise<number> {
  return (await server.metrics.busSubscriptions.get()).values[0]?.value ?? 0;
}

describe('subscribe with since (recovery after a reconnect)', () => {
  it('delivers what was missed while away, then live messages, each once and in order', async () => {
    const server = await startTestServer();
    const bystander = await connect(server);
    await bystander.subscribe('room:1');
    const player = await connect(server);
    await player.subscribe('room:1');
    for (const data of ['a', 'b']) await bystander.publish('room:1', data);
    const seen = await player.waitForMessages('room:1', 2);
    const lastPosition = seen[1]?.position as string;
    await player.close();

    for (const data of ['c', 'd']) await bystander.publish('room:1', data);
    const back = await connect(server);
    expect(await back.subscribe('room:1', lastPosition)).toMatchObject({ type: 'ack' });
    for (const data of ['e', 'f']) await bystander.publish('room:1', data);
    const recovered = await back.waitForMessages('room:1', 4);
    expect(recovered.map((frame) => frame.data)).toEqual(['c', 'd', 'e', 'f']);
    // The replay subscription hands over to the shared one once the streams meet.
    await expect.poll(() => busSubscriptions(server)).toBe(1);
    await bystander.publish('room:1', 'g');
    await back.waitForMessages('room:1', 5);
    await back.subscribe('marker');
    expect(back.messages('room:1').map((frame) => frame.data)).toEqual(['c', 'd', 'e', 'f', 'g']);
  });

  it('has no gap and no duplicate while messages keep flowing during the recovery', async () => {
    // 400 publishes at once, well past the default per-connection rate.
    const server = await startTestServer({ config: { publishRatePerConnection: 0 } });
    const witness = await connect(server);
    await witness.subscribe('busy');
    const publisher = await connect(server);
    for (let index = 0; index < 50; index += 1) await publisher.publish('busy', index);
    const before = await witness.waitForMessages('busy', 50);
    const since = before[19]?.position as string;

    const recovering = await connect(server);
    for (let index = 50; index < 400; index += 1) publisher.send({ type: 'publish', channel: 'busy', data: index });
    await recovering.subscribe('busy', since);
    await publisher.publish('busy', 'end');
    const all = await witness.waitForMessages('busy', 401);
    const expected = all.slice(20).map((frame) => frame.id);
    const got = await recovering.waitForMessages('busy', expected.length);
    await recovering.subscribe('marker');
    expect(recovering.messages('busy').map((frame) => frame.id)).toEqual(expected);
    expect(got.at(-1)?.data).toBe('end');
    // Shared "busy" and "marker" remain; the replay handed over.
    await expect.poll(() => busSubscriptions(server)).toBe(2);
  });

  it('reports position_expired when history no longer reaches back, and the subscription stands', async () => {
    const server = await startTestServer({ memory: { historyPerChannel: 3 } });
    const client = await connect(server);
    await client.subscribe('short');
    for (let index = 1; index <= 6; index += 1) await client.publish('short', index);
    const first = (await client.waitForMessages('short', 6))[0]?.position as string;
    await client.close();

    const back = await connect(server);
    const id = 'resume-1';
    back.send({ type: 'subscribe', channel: 'short', since: first, id });
    await back.next((frame) => frame.type === 'ack' && frame.id === id);
    expect(back.repliesTo(id).map((frame) => frame.type === 'error' ? frame.code : frame.type)).toEqual(['position_expired', 'ack']);
    await back.publish('short', 7);
    const recovered = await back.waitForMessages('short', 4);
    expect(recovered.map((frame) => frame.data)).toEqual([4, 5, 6, 7]);
  });

  it('acks a plain subscribe with the position it starts after, so a client that got no message yet can resume', async () => {
    const server = await startTestServer();
    const publisher = await connect(server);
    await publisher.publish('fresh', 'before anyone listened');
    const first = await connect(server);
    const ack = await first.subscribe('fresh');
    expect(ack).toMatchObject({ type: 'ack', position: expect.any(String) as unknown });
    await first.close();
    await publisher.publish('fresh', 'a');
    await publisher.publish('fresh', 'b');
    const back = await connect(server);
    await back.subscribe('fresh', ack['position'] as string);
    expect((await back.waitForMessages('fresh', 2)).map((frame) => frame.data)).toEqual(['a', 'b']);
    // A second subscriber on this instance joins the shared subscription: it starts after the last message handed out.
    const late = await connect(server);
    const lateAck = await late.subscribe('fresh');
    expect(lateAck['position']).toBe(back.messages('fresh')[1]?.['position']);
    // A bus without replay has no position to give.
    const plain = await connect(await startTestServer({ bus: withoutReplay(createMemoryBus()) }));
    expect(await plain.subscribe('fresh')).toEqual({ type: 'ack', id: expect.any(String) as unknown });
  });

  it('refuses a position the bus never handed out with invalid_position', async () => {
    const client = await connect(await startTestServer());
    expect(await client.subscribe('room', 'not-a-position')).toMatchObject({ type: 'error', code: 'invalid_position' });
    expect(await client.request({ type: 'subscribe', channel: 'room', since: 42 })).toMatchObject({ code: 'invalid_position' });
    expect(await client.request({ type: 'unsubscribe', channel: 'room' })).toMatchObject({ code: 'not_subscribed' });
  });

  it('refuses since with replay_unsupported on a bus without replay', async () => {
    const server = await startTestServer({ bus: withoutReplay(createMemoryBus()) });
    const client = await connect(server);
    expect(await client.subscribe('room', 'whatever')).toMatchObject({ type: 'error', code: 'replay_unsupported' });
    expect(await client.subscribe('room')).toMatchObject({ type: 'ack' });
  });
});
