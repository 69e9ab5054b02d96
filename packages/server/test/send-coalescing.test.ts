import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../src/index.js';
import { connect, startTestServer } from './support/test-server.js';

/** Long enough that nothing in these tests leaves because the window ran out. */
const HOLD_FOR_THE_WHOLE_TEST = 600_000;

const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index);

async function delivered(server: Awaited<ReturnType<typeof startTestServer>>): Promise<number> {
  return (await server.metrics.messagesDelivered.get()).values[0]?.value ?? 0;
}

describe('send coalescing (SEND_COALESCE_MS)', () => {
  it('sends every frame of a window, in order, when the window ends', async () => {
    const server = await startTestServer({ config: { sendCoalesceMs: 20 } });
    const client = await connect(server);
    await client.subscribe('room:1');
    for (const index of range(50)) {
      await server.bus.publish('room:1', index);
      // Publishes spread over many ticks, so a window holds several of them.
      if (index % 5 === 0) await nextTurn();
    }
    const messages = await client.waitForMessages('room:1', 50);
    expect(messages.map((frame) => frame.data)).toEqual(range(50));
  });

  it('lets a reply release held message frames at once, and never overtake them', async () => {
    const server = await startTestServer({ config: { sendCoalesceMs: HOLD_FOR_THE_WHOLE_TEST } });
    const client = await connect(server);
    expect(await client.subscribe('room:1')).toMatchObject({ type: 'ack' });
    for (const index of range(10)) await server.bus.publish('room:1', index);
    await expect.poll(() => delivered(server)).toBe(10);
    // The window has not ended; the ack of this unsubscribe flushes the held frames ahead of it.
    const ack = await client.request({ type: 'unsubscribe', channel: 'room:1' });
    expect(ack).toMatchObject({ type: 'ack' });
    const ackAt = client.frames.indexOf(ack);
    const messages = client.messages('room:1');
    expect(messages.map((frame) => frame.data)).toEqual(range(10));
    for (const message of messages) expect(client.frames.indexOf(message)).toBeLessThan(ackAt);
  });

  it('counts held bytes against SEND_BUFFER_LIMIT_BYTES: past it the client is closed with 4008', async () => {
    const server = await startTestServer({ config: { sendCoalesceMs: HOLD_FOR_THE_WHOLE_TEST, sendBufferLimitBytes: 64 * 1024 } });
    const client = await connect(server);
    await client.subscribe('flood');
    // The client reads as fast as it can: only bytes held by the window can fill its buffer.
    const chunk = 'x'.repeat(16 * 1024);
    for (const index of range(12)) {
      await server.bus.publish('flood', { index, chunk });
      await nextTurn();
    }
    expect(await client.closed).toEqual({ code: CLOSE_CODES.sendBufferFull, reason: 'send buffer full' });
    // What was held went out ahead of the close frame, complete and in order.
    const received = client.messages('flood').map((frame) => (frame.data as { index: number }).index);
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(12);
    expect(received).toEqual(range(received.length));
    const reasons = (await server.metrics.disconnects.get()).values.map((value) => value.labels.reason);
    expect(reasons).toContain('send_buffer_full');
  });

  it('flushes held frames at shutdown, before the 1001 close', async () => {
    const server = await startTestServer({ config: { sendCoalesceMs: HOLD_FOR_THE_WHOLE_TEST } });
    const client = await connect(server);
    await client.subscribe('room:1');
    for (const index of range(5)) await server.bus.publish('room:1', { index });
    await expect.poll(() => delivered(server)).toBe(5);
    await server.close();
    expect(await client.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(client.messages('room:1').map((frame) => frame.data)).toEqual(range(5).map((index) => ({ index })));
  });
});
