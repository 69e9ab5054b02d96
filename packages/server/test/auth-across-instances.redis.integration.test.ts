import { randomBytes } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { afterEach, describe, expect, inject, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { deleteKeys } from '../../driver-redis/test/support/test-bus.js';
import { startTwoInstances, wsUrl, type TwoInstances } from './support/cross-instance.js';
import { killServerProcesses } from './support/server-process.js';
import { TestClient } from './support/test-client.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const running: TwoInstances[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  for (const instances of running.splice(0)) await instances.stop();
  killServerProcesses();
}, 60_000);

function sign(claims: JWTPayload): Promise<string> {
  const full = { exp: Math.floor(Date.now() / 1000) + 60, ...claims };
  return new SignJWT(full).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
}

async function client(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  const connected = await TestClient.connect(url, options);
  clients.push(connected);
  return connected;
}

/** The HTTP status of an upgrade the server should refuse. */
function refusedStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('error', () => undefined);
    socket.on('open', () => reject(new Error('the WebSocket opened')));
    socket.on('unexpected-response', (_request, response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
  });
}

describe('auth across server processes on Redis', () => {
  it('carries the publisher sub to the other instance as user, and no process logs a token', async () => {
    const run = randomBytes(3).toString('hex');
    const channel = `game:${run}`;
    const instances = await startTwoInstances({
      BUS: 'redis',
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: `x${run}:`,
      LOG_LEVEL: 'debug',
      AUTH_SECRET: SECRET,
      AUTH_DEFAULT_CHANNELS: JSON.stringify({ 'game:*': ['subscribe', 'publish'] }),
    });
    running.push(instances);
    onTestFinished(() => deleteKeys(inject('redisUrl'), `x${run}:`));
    const [a, b] = instances.urls;
    const readerToken = await sign({ sub: 'reader' });
    const writerToken = await sign({ sub: 'player-7' });
    const expired = await sign({ sub: 'late', exp: Math.floor(Date.now() / 1000) - 60 });

    const reader = await client(wsUrl(b), { headers: { authorization: `Bearer ${readerToken}` } });
    expect(await reader.subscribe(channel)).toMatchObject({ type: 'ack' });
    const writer = await client(`${wsUrl(a)}?token=${writerToken}`);
    expect(await writer.publish(channel, { move: 'e4' })).toMatchObject({ type: 'ack' });
    const [message] = await reader.waitForMessages(channel, 1);
    expect(message).toMatchObject({ channel, data: { move: 'e4' }, user: 'player-7' });
    expect(await refusedStatus(`${wsUrl(a)}?token=${expired}`)).toBe(401);

    await Promise.all(clients.splice(0).map((each) => each.close()));
    const logs = instances.servers.map((server) => server.stdout()).join('\n');
    await instances.stop();
    running.splice(0);
    expect(logs).toContain('REDACTED');
    for (const token of [readerToken, writerToken, expired]) {
      for (const part of token.split('.')) expect(logs).not.toContain(part);
    }
  }, 120_000);
});
