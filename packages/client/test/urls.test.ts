import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../../server/test/support/test-server.js';
import { connected, testClient } from './support/clients.js';

const servers: Server[] = [];
const held: Socket[] = [];
afterEach(async () => {
  for (const socket of held.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A TCP server that accepts and never answers: a WebSocket to it hangs in the handshake. */
async function blackHole(): Promise<string> {
  const server = createServer((socket) => void held.push(socket));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `ws://127.0.0.1:${address.port}/ws`;
}

/** A URL nothing listens on. */
async function nothingThere(): Promise<string> {
  const url = await blackHole();
  await new Promise((resolve) => servers.pop()?.close(resolve));
  return url;
}

describe('several urls', () => {
  it('moves on to the next url when one instance is down', async () => {
    const down = await nothingThere();
    const server = await startTestServer();
    const { client, events } = testClient({ urls: [down, server.wsUrl] });
    await connected(client);
    expect(events.map(([name, payload]) => [name, (payload as { url?: string }).url])).toEqual([
      ['connecting', down],
      ['reconnecting', server.wsUrl],
      ['connected', server.wsUrl],
    ]);
  });

  it('gives up on an attempt that gets no welcome within connectTimeoutMs and tries the next url', async () => {
    const hole = await blackHole();
    const server = await startTestServer();
    const { client, events } = testClient({ urls: [hole, server.wsUrl], connectTimeoutMs: 300 });
    const started = Date.now();
    await connected(client);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(events.at(-1)).toEqual(['connected', { url: server.wsUrl, instance: 'test-instance' }]);
  });
});
