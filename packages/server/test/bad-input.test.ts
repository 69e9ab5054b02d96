import { describe, expect, it } from 'vitest';
import type { TestClient } from './support/test-client.js';
import { connect, startTestServer } from './support/test-server.js';

/** The connection must survive every bad frame: a normal round trip proves it. */
async function expectStillWorks(client: TestClient): Promise<void> {
  expect(await client.subscribe('health:check')).toMatchObject({ type: 'ack' });
  await client.publish('health:check', 'alive');
  expect((await client.waitForMessages('health:check', 1))[0]?.data).toBe('alive');
}

function nextError(client: TestClient): Promise<Record<string, unknown>> {
  const before = client.frames.length;
  return client.next((frame) => frame.type === 'error' && client.frames.indexOf(frame) >= before);
}

describe('bad input gets an error frame and the connection goes on', () => {
  it('answers text that is not JSON with invalid_json', async () => {
    const client = await connect(await startTestServer());
    const error = nextError(client);
    client.sendRaw('{not json');
    expect(await error).toMatchObject({ type: 'error', code: 'invalid_json' });
    await expectStillWorks(client);
  });

  it('answers JSON that is not an object, or has no type, with invalid_frame', async () => {
    const client = await connect(await startTestServer());
    let error = nextError(client);
    client.sendRaw('[1,2]');
    expect(await error).toMatchObject({ code: 'invalid_frame' });
    error = nextError(client);
    client.send({ channel: 'lobby' });
    expect(await error).toMatchObject({ code: 'invalid_frame' });
    error = nextError(client);
    client.send({ type: 'subscribe', channel: 'lobby', id: 7 });
    expect(await error).toMatchObject({ code: 'invalid_frame' });
    await expectStillWorks(client);
  });

  it('answers an unknown type with unknown_type and echoes the id', async () => {
    const client = await connect(await startTestServer());
    expect(await client.request({ type: 'dance', channel: 'lobby' })).toMatchObject({ type: 'error', code: 'unknown_type' });
    await expectStillWorks(client);
  });

  it('answers a missing or malformed channel with invalid_channel', async () => {
    const client = await connect(await startTestServer());
    expect(await client.request({ type: 'subscribe' })).toMatchObject({ code: 'invalid_channel' });
    expect(await client.request({ type: 'publish', channel: 'no spaces!', data: 1 })).toMatchObject({ code: 'invalid_channel' });
    expect(await client.request({ type: 'unsubscribe', channel: 12 })).toMatchObject({ code: 'invalid_channel' });
    await expectStillWorks(client);
  });

  it('answers a publish without data with missing_data, but accepts null', async () => {
    const client = await connect(await startTestServer());
    expect(await client.request({ type: 'publish', channel: 'lobby' })).toMatchObject({ code: 'missing_data' });
    expect(await client.request({ type: 'publish', channel: 'lobby', data: null })).toMatchObject({ type: 'ack' });
    await expectStillWorks(client);
  });

  it('answers a binary frame with binary_unsupported', async () => {
    const client = await connect(await startTestServer());
    const error = nextError(client);
    client.sendRaw(Buffer.from([1, 2, 3]));
    expect(await error).toMatchObject({ code: 'binary_unsupported' });
    await expectStillWorks(client);
  });

  it('answers unsubscribe from a channel the client is not on with not_subscribed', async () => {
    const client = await connect(await startTestServer());
    expect(await client.request({ type: 'unsubscribe', channel: 'never' })).toMatchObject({
      code: 'not_subscribed',
      channel: 'never',
    });
    await expectStillWorks(client);
  });

  it("answers a publish over the bus's payload limit with payload_too_large", async () => {
    const server = await startTestServer({ memory: { maxPayloadBytes: 1024 } });
    const client = await connect(server);
    expect(await client.publish('lobby', 'x'.repeat(2000))).toMatchObject({ code: 'payload_too_large' });
    await expectStillWorks(client);
  });

  it('answers subscriptions past the per-connection limit with too_many_subscriptions', async () => {
    const server = await startTestServer({ config: { maxSubscriptionsPerConnection: 2 } });
    const client = await connect(server);
    await client.subscribe('a');
    await client.subscribe('b');
    expect(await client.subscribe('c')).toMatchObject({ code: 'too_many_subscriptions' });
    expect(await client.subscribe('a')).toMatchObject({ type: 'ack' });
    await client.request({ type: 'unsubscribe', channel: 'a' });
    expect(await client.subscribe('c')).toMatchObject({ type: 'ack' });
  });

  it('closes the connection with 1009 for a frame over MAX_FRAME_BYTES, and only that one', async () => {
    const server = await startTestServer({ config: { maxFrameBytes: 1024 } });
    const offender = await connect(server);
    const bystander = await connect(server);
    offender.send({ type: 'publish', channel: 'lobby', data: 'x'.repeat(2000) });
    expect((await offender.closed).code).toBe(1009);
    await expectStillWorks(bystander);
  });
});
