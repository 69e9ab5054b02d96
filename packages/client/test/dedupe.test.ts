import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../server/test/support/test-server.js';
import { collect, testClient, until } from './support/clients.js';

describe('the dedupe window', () => {
  it('hands the app a message delivered twice under one id once', async () => {
    const server = await startTestServer();
    const { client } = testClient({ url: server.wsUrl });
    const seen = await collect(client, 'game:1');
    // A backend retrying its publish after a lost answer stores it twice under the same id.
    await server.bus.publish('game:1', 'once', { id: 'backend-1' });
    await server.bus.publish('game:1', 'once', { id: 'backend-1' });
    await server.bus.publish('game:1', 'marker', { id: 'backend-2' });
    await until(() => seen.some((message) => message.data === 'marker'), 'the marker');
    expect(seen.map((message) => message.id)).toEqual(['backend-1', 'backend-2']);
  });

  it('remembers only the last dedupeWindow ids', async () => {
    const server = await startTestServer();
    const { client } = testClient({ url: server.wsUrl, dedupeWindow: 2 });
    const seen = await collect(client, 'game:1');
    for (const id of ['a', 'b', 'c', 'a', 'c']) await server.bus.publish('game:1', id, { id });
    await server.bus.publish('game:1', 'marker', { id: 'marker' });
    await until(() => seen.some((message) => message.data === 'marker'), 'the marker');
    // "a" had left the window (b and c came after it); "c" had not.
    expect(seen.map((message) => message.id)).toEqual(['a', 'b', 'c', 'a', 'marker']);
  });

  it('is off with dedupeWindow 0', async () => {
    const server = await startTestServer();
    const { client } = testClient({ url: server.wsUrl, dedupeWindow: 0 });
    const seen = await collect(client, 'game:1');
    for (const id of ['a', 'a']) await server.bus.publish('game:1', id, { id });
    await until(() => seen.length === 2, 'both copies');
  });

  it('tells channels apart: one id on two channels is two messages', async () => {
    const server = await startTestServer();
    const { client } = testClient({ url: server.wsUrl });
    const one = await collect(client, 'game:1');
    const two = await collect(client, 'game:2');
    await server.bus.publish('game:1', 1, { id: 'same' });
    await server.bus.publish('game:2', 2, { id: 'same' });
    await until(() => one.length === 1 && two.length === 1, 'one message on each channel');
  });
});
