import { describe, expect, it } from 'vitest';
import { connect, startTestServer } from './support/test-server.js';

describe('heartbeat', () => {
  it('terminates a client that stops answering pings and keeps one that answers', async () => {
    const server = await startTestServer({ config: { heartbeatIntervalMs: 50 } });
    const answering = await connect(server);
    const silent = await connect(server, { autoPong: false });
    // Terminated without a close frame: the client sees an abnormal closure.
    expect((await silent.closed).code).toBe(1006);
    expect(answering.socket.readyState).toBe(answering.socket.OPEN);
    expect(await answering.subscribe('still-here')).toMatchObject({ type: 'ack' });
    const timeouts = (await server.metrics.disconnects.get()).values.find((value) => value.labels.reason === 'heartbeat_timeout');
    expect(timeouts?.value).toBe(1);
  });
});
