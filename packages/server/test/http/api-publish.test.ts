import type { Message } from '@app/core';
import { describe, expect, it } from 'vitest';
import { connect } from '../support/test-server.js';
import { KEY, OTHER_KEY, apiServer, callPublish, capturingLogger, refusal } from './support/api-client.js';

const WRONG_KEY = 'not-the-key-but-long-enough-0000';

describe('POST /api/publish', () => {
  it('publishes through the bus: a WebSocket subscriber gets the message with the id and position of the answer', async () => {
    const server = await apiServer();
    const client = await connect(server);
    await client.subscribe('game:42');
    const seen: Message[] = [];
    await server.bus.subscribe('game:42', (message) => void seen.push(message));

    const response = await callPublish(server, { channel: 'game:42', data: { event: 'goal', by: 'p7' }, headers: { kind: 'score' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const receipt = (await response.json()) as { id: string; position: string };
    expect(typeof receipt.id).toBe('string');
    expect(typeof receipt.position).toBe('string');

    const [frame] = await client.waitForMessages('game:42', 1);
    expect(frame).toMatchObject({ channel: 'game:42', data: { event: 'goal', by: 'p7' }, id: receipt.id, position: receipt.position });
    // No token stands behind an API publish, so there is no user to name.
    expect(frame).not.toHaveProperty('user');
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]?.headers).toEqual({ kind: 'score' });
    const metrics = await server.metrics.registry.getSingleMetricAsString('realtime_api_publishes_total');
    expect(metrics).toContain('result="ok"} 1');
  });

  it('accepts null as data, and a JSON content type with charset=utf-8', async () => {
    const server = await apiServer();
    const client = await connect(server);
    await client.subscribe('lobby');
    const response = await callPublish(server, { channel: 'lobby', data: null }, { contentType: 'application/json; charset=UTF-8' });
    expect(response.status).toBe(200);
    const [frame] = await client.waitForMessages('lobby', 1);
    expect(frame).toMatchObject({ channel: 'lobby', data: null });
  });

  it('takes every key of API_KEYS, so a key can be rotated without downtime', async () => {
    const server = await apiServer({ API_KEYS: `${KEY}, ${OTHER_KEY}` });
    expect((await callPublish(server, { channel: 'lobby', data: 1 }, { key: KEY })).status).toBe(200);
    expect((await callPublish(server, { channel: 'lobby', data: 2 }, { key: OTHER_KEY })).status).toBe(200);
    expect((await callPublish(server, { channel: 'lobby', data: 3 }, { key: WRONG_KEY })).status).toBe(401);
  });

  it('takes API_KEY as a single key', async () => {
    const server = await apiServer({ API_KEY: OTHER_KEY });
    expect((await callPublish(server, { channel: 'lobby', data: 1 }, { key: OTHER_KEY })).status).toBe(200);
    expect((await callPublish(server, { channel: 'lobby', data: 1 }, { key: KEY })).status).toBe(401);
  });

  it('answers a wrong key with 401 unauthorized and WWW-Authenticate: Bearer, never echoing the key', async () => {
    const server = await apiServer();
    const response = await callPublish(server, { channel: 'lobby', data: 1 }, { key: WRONG_KEY });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    const text = await response.text();
    expect(response.status).toBe(401);
    expect(JSON.parse(text)).toMatchObject({ error: 'unauthorized', message: 'the API key is not valid' });
    expect(text).not.toContain(WRONG_KEY);
  });

  it('answers a missing key, or another scheme than Bearer, with 401 unauthorized', async () => {
    const server = await apiServer();
    const missing = await callPublish(server, { channel: 'lobby', data: 1 }, { key: null });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await refusal(missing)).toMatchObject({ status: 401, error: 'unauthorized', message: expect.stringContaining('Authorization: Bearer') });
    const basic = await callPublish(server, { channel: 'lobby', data: 1 }, { key: null, headers: { authorization: `Basic ${KEY}` } });
    expect(await refusal(basic)).toMatchObject({ status: 401, error: 'unauthorized' });
  });

  it('checks the key before the body: a bad body without a key is still a 401', async () => {
    const server = await apiServer();
    expect(await refusal(await callPublish(server, 'not json', { key: null }))).toMatchObject({ status: 401, error: 'unauthorized' });
  });

  it('answers a body that is not JSON with 400 invalid_json', async () => {
    const server = await apiServer();
    expect(await refusal(await callPublish(server, '{"channel": "lobby",'))).toMatchObject({ status: 400, error: 'invalid_json' });
  });

  it('answers a body that is not UTF-8 with 400 invalid_json', async () => {
    const server = await apiServer();
    const response = await fetch(`${server.url}/api/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
    });
    expect(await refusal(response)).toMatchObject({ status: 400, error: 'invalid_json', message: expect.stringContaining('UTF-8') });
  });

  it('answers JSON that is not an object with 400 invalid_body', async () => {
    const server = await apiServer();
    expect(await refusal(await callPublish(server, [{ channel: 'lobby', data: 1 }]))).toMatchObject({ status: 400, error: 'invalid_body' });
    expect(await refusal(await callPublish(server, 'null'))).toMatchObject({ status: 400, error: 'invalid_body' });
  });

  it('answers an unknown field (such as a misspelt "header") with 400 invalid_body', async () => {
    const server = await apiServer();
    const answer = await refusal(await callPublish(server, { channel: 'lobby', data: 1, header: { a: 'b' } }));
    expect(answer).toMatchObject({ status: 400, error: 'invalid_body', message: expect.stringContaining('"header"') });
  });

  it('answers a missing channel with 400 invalid_channel', async () => {
    const server = await apiServer();
    expect(await refusal(await callPublish(server, { data: 1 }))).toMatchObject({ status: 400, error: 'invalid_channel', message: 'channel is missing' });
  });

  it('answers a channel the bus would refuse with 400 invalid_channel and the rule it breaks', async () => {
    const server = await apiServer();
    const answer = await refusal(await callPublish(server, { channel: 'game 42!', data: 1 }));
    expect(answer).toMatchObject({ status: 400, error: 'invalid_channel', message: expect.stringContaining('is not valid') });
    expect(await refusal(await callPublish(server, { channel: 42, data: 1 }))).toMatchObject({ status: 400, error: 'invalid_channel' });
  });

  it('answers a missing data field with 400 missing_data', async () => {
    const server = await apiServer();
    expect(await refusal(await callPublish(server, { channel: 'lobby' }))).toMatchObject({ status: 400, error: 'missing_data' });
  });

  it('answers headers that are not an object of strings with 400 invalid_headers', async () => {
    const server = await apiServer();
    expect(await refusal(await callPublish(server, { channel: 'lobby', data: 1, headers: { kind: 5 } }))).toMatchObject({
      status: 400,
      error: 'invalid_headers',
      message: expect.stringContaining('"kind"'),
    });
    expect(await refusal(await callPublish(server, { channel: 'lobby', data: 1, headers: ['kind'] }))).toMatchObject({ status: 400, error: 'invalid_headers' });
    expect(await refusal(await callPublish(server, { channel: 'lobby', data: 1, headers: { ['x'.repeat(129)]: 'v' } }))).toMatchObject({
      status: 400,
      error: 'invalid_headers',
    });
  });

  it('refuses the reserved user header, in any case, with 400 reserved_header and publishes nothing', async () => {
    const server = await apiServer();
    const seen: Message[] = [];
    await server.bus.subscribe('lobby', (message) => void seen.push(message));
    for (const name of ['realtime-user', 'Realtime-User', 'x-dead-letter-channel']) {
      const answer = await refusal(await callPublish(server, { channel: 'lobby', data: 1, headers: { [name]: 'admin' } }));
      expect(answer).toMatchObject({ status: 400, error: 'reserved_header', message: expect.stringContaining(name) });
    }
    // A publish after them arrives first: nothing refused slipped through before it.
    expect((await callPublish(server, { channel: 'lobby', data: 'after' })).status).toBe(200);
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]?.data).toBe('after');
  });

  it('answers a body over MAX_FRAME_BYTES with 413, by its Content-Length or while it streams', async () => {
    const server = await apiServer(undefined, { config: { maxFrameBytes: 1024 } });
    const declared = await callPublish(server, { channel: 'lobby', data: 'x'.repeat(2000) });
    expect(await refusal(declared)).toMatchObject({ status: 413, error: 'payload_too_large', message: expect.stringContaining('1024') });
    // Chunked, so no Content-Length tells in advance: the limit is enforced while reading.
    const chunk = new TextEncoder().encode(`{"channel":"lobby","data":"${'y'.repeat(600)}`);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i += 1) controller.enqueue(chunk);
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
      },
    });
    expect(await refusal(await callPublish(server, stream))).toMatchObject({ status: 413, error: 'payload_too_large' });
    // Just under the limit still goes through.
    expect((await callPublish(server, { channel: 'lobby', data: 'z'.repeat(900) })).status).toBe(200);
  });

  it('maps a message the bus finds too large to 413 payload_too_large', async () => {
    const server = await apiServer(undefined, { memory: { maxPayloadBytes: 1024 } });
    expect(await refusal(await callPublish(server, { channel: 'lobby', data: 'x'.repeat(2000) }))).toMatchObject({ status: 413, error: 'payload_too_large' });
  });

  it('maps a bus that is down to 503 bus_unavailable with Retry-After', async () => {
    const server = await apiServer();
    await server.bus.close();
    const response = await callPublish(server, { channel: 'lobby', data: 1 });
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await refusal(response)).toMatchObject({ status: 503, error: 'bus_unavailable' });
  });

  it('answers another content type than JSON with 415', async () => {
    const server = await apiServer();
    const body = { channel: 'lobby', data: 1 };
    expect(await refusal(await callPublish(server, body, { contentType: 'text/plain' }))).toMatchObject({ status: 415, error: 'unsupported_media_type' });
    expect(await refusal(await callPublish(server, body, { contentType: 'application/json; charset=latin1' }))).toMatchObject({ status: 415 });
    expect(await refusal(await callPublish(server, JSON.stringify(body), { contentType: null }))).toMatchObject({ status: 415 });
  });

  it('answers other methods than POST with 405 and Allow: POST', async () => {
    const server = await apiServer();
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await callPublish(server, {}, { method });
      expect(response.headers.get('allow')).toBe('POST');
      expect(await refusal(response)).toMatchObject({ status: 405, error: 'method_not_allowed' });
    }
  });

  it('answers 404 api_disabled, naming API_KEYS, when no key is configured', async () => {
    const server = await apiServer({});
    for (const method of ['POST', 'GET']) {
      const answer = await refusal(await callPublish(server, { channel: 'lobby', data: 1 }, { method }));
      expect(answer).toMatchObject({ status: 404, error: 'api_disabled', message: expect.stringContaining('API_KEYS') });
    }
  });

  it('counts every call by result', async () => {
    const server = await apiServer();
    await callPublish(server, { channel: 'lobby', data: 1 });
    await callPublish(server, { channel: 'lobby', data: 1 });
    await callPublish(server, { channel: 'lobby', data: 1 }, { key: WRONG_KEY });
    await callPublish(server, { channel: 'lobby' });
    const metrics = await server.metrics.registry.getSingleMetricAsString('realtime_api_publishes_total');
    expect(metrics).toContain('result="ok"} 2');
    expect(metrics).toContain('result="unauthorized"} 1');
    expect(metrics).toContain('result="missing_data"} 1');
  });

  it('logs each refusal at debug, and no key (good or wrong) in any log line', async () => {
    const { logger, lines } = capturingLogger();
    const server = await apiServer({ API_KEYS: `${KEY},${OTHER_KEY}`, METRICS_REQUIRE_API_KEY: 'true' }, { logger });
    await callPublish(server, { channel: 'lobby', data: 1 }, { key: WRONG_KEY });
    await callPublish(server, { channel: 'lobby', data: 1 }, { key: null });
    await callPublish(server, { channel: 'lobby' });
    await callPublish(server, { channel: 'lobby', data: 1 }, { key: OTHER_KEY });
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${WRONG_KEY}` } });
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
    const refused = lines.filter((line) => line.includes('api publish refused'));
    expect(refused).toHaveLength(3);
    expect(refused.map((line) => (JSON.parse(line) as { error: string; level: number }).level)).toEqual([20, 20, 20]);
    expect(refused.map((line) => (JSON.parse(line) as { error: string }).error)).toEqual(['unauthorized', 'unauthorized', 'missing_data']);
    expect(lines.some((line) => line.includes('metrics refused'))).toBe(true);
    for (const secret of [KEY, OTHER_KEY, WRONG_KEY]) {
      expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});
