import { expect } from 'vitest';
import type WebSocket from 'ws';
import { nowS, signToken, TEST_SECRET } from '../auth/support/token-helpers.js';
import { startTwoInstances, wsUrl, type TwoInstances } from './cross-instance.js';
import { upgradeAnswer } from './raw-upgrade.js';
import { TestClient } from './test-client.js';

/** Two server processes with AUTH_SECRET, logging at debug, on the bus `busEnv` names. */
export function startAuthInstances(busEnv: Record<string, string>): Promise<TwoInstances> {
  return startTwoInstances({ ...busEnv, LOG_LEVEL: 'debug', AUTH_SECRET: TEST_SECRET });
}

/**
 * The auth scenario every cross-instance bus runs: the publisher's `sub` reaches the other
 * instance as `user`, grants are enforced per instance, a refresh there revokes a subscription,
 * an expired token is refused, and no process logs any part of a token.
 */
export async function authAcrossInstances(instances: TwoInstances, run: string): Promise<void> {
  const [a, b] = instances.urls;
  const game = `game:${run}`;
  const lobby = `lobby:${run}`;
  const clients: TestClient[] = [];
  const client = async (url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> => {
    const connected = await TestClient.connect(url, options);
    clients.push(connected);
    return connected;
  };
  const readerToken = await signToken({ sub: 'reader', channels: { 'game:*': ['subscribe'], 'lobby:*': ['subscribe'] } });
  const narrowed = await signToken({ sub: 'reader', channels: { 'lobby:*': ['subscribe'] } });
  const writerToken = await signToken({ sub: 'player-7', channels: { 'game:*': ['publish'], 'lobby:*': ['publish'] } });
  const expired = await signToken({ sub: 'late', exp: nowS() - 60 });

  const reader = await client(wsUrl(b), { headers: { authorization: `Bearer ${readerToken}` } });
  expect(await reader.subscribe(game)).toMatchObject({ type: 'ack' });
  expect(await reader.subscribe(lobby)).toMatchObject({ type: 'ack' });
  const writer = await client(`${wsUrl(a)}?token=${writerToken}`);
  expect(await writer.publish(game, { move: 'e4' })).toMatchObject({ type: 'ack' });
  const [message] = await reader.waitForMessages(game, 1);
  expect(message).toMatchObject({ channel: game, data: { move: 'e4' }, user: 'player-7' });
  expect(await reader.publish(game, 'not granted')).toMatchObject({ type: 'error', code: 'forbidden', channel: game });
  expect(await writer.subscribe(game)).toMatchObject({ type: 'error', code: 'forbidden', channel: game });

  expect(await reader.request({ type: 'refresh', token: narrowed })).toMatchObject({ type: 'ack' });
  expect(reader.frames.filter((frame) => frame.type === 'unsubscribed')).toMatchObject([{ channel: game, code: 'forbidden' }]);
  expect(await writer.publish(game, 'after the revoke')).toMatchObject({ type: 'ack' });
  expect(await writer.publish(lobby, 'marker')).toMatchObject({ type: 'ack' });
  await reader.waitForMessages(lobby, 1);
  // Channels are not ordered with each other: give a late game message time to show up.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(reader.messages(game).map((frame) => frame.data)).toEqual([{ move: 'e4' }]);
  expect((await upgradeAnswer(`${wsUrl(a)}?token=${expired}`)).status).toBe(401);

  await Promise.all(clients.map((each) => each.close()));
  const logs = instances.servers.map((server) => server.stdout()).join('\n');
  await instances.stop();
  expect(logs).toContain('REDACTED');
  for (const token of [readerToken, narrowed, writerToken, expired]) {
    for (const part of token.split('.')) expect(logs).not.toContain(part);
  }
}
