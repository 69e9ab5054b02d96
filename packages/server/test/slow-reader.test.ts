import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../src/index.js';
import { connect, startTestServer } from './support/test-server.js';

describe('a client that reads too slowly', () => {
  it('is closed with 4008 once its send buffer passes the limit, and the channel goes on for others', async () => {
    const server = await startTestServer({ config: { sendBufferLimitBytes: 64 * 1024 } });
    const slow = await connect(server);
    await slow.subscribe('flood');
    slow.socket.pause();

    const closedForBuffer = async (): Promise<number> =>
      (await server.metrics.disconnects.get()).values.find((value) => value.labels.reason === 'send_buffer_full')?.value ?? 0;
    const chunk = 'x'.repeat(16 * 1024);
    let published = 0;
    // Kernel socket buffers absorb an unknown amount first, so publish until the server gives up.
    while ((await closedForBuffer()) === 0) {
      if (published >= 20_000) throw new Error('the server never closed the paused client');
      for (let index = 0; index < 20; index += 1) await server.bus.publish('flood', { n: published++, chunk });
      await nextTurn();
    }

    slow.socket.resume();
    expect(await slow.closed).toEqual({ code: CLOSE_CODES.sendBufferFull, reason: 'send buffer full' });
    await expect.poll(async () => (await server.metrics.connections.get()).values[0]?.value).toBe(0);
    // Its subscription is released, and the channel still works for everyone else.
    await expect.poll(async () => (await server.metrics.busSubscriptions.get()).values[0]?.value).toBe(0);
    const healthy = await connect(server);
    await healthy.subscribe('flood');
    await healthy.publish('flood', 'after');
    expect((await healthy.waitForMessages('flood', 1))[0]?.data).toBe('after');
  });
});
