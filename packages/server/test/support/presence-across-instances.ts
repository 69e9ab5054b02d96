import { expect } from 'vitest';
import { nowS, signToken, TEST_SECRET } from '../auth/support/token-helpers.js';
import { events, members, nextEvent, settle, subscribePresence } from '../presence/support/presence-client.js';
import { startTwoInstances, wsUrl } from './cross-instance.js';
import { spawnServer } from './server-process.js';
import { TestClient } from './test-client.js';

/** Short presence timings, so a killed instance's users leave within seconds; the sweep runs every 250 ms. */
export const PRESENCE_TTL_MS = 3000;
export const PRESENCE_HEARTBEAT_MS = 1000;
const TIMING = { PRESENCE_TTL_MS: String(PRESENCE_TTL_MS), PRESENCE_HEARTBEAT_MS: String(PRESENCE_HEARTBEAT_MS), PRESENCE_SYNC_MS: '500' };

/** What the scenario measured. */
export interface PresenceMeasures {
  /** From the SIGKILL of instance B to the `leave` of each of its users (carol, dave) at instance A, in ms. */
  readonly leaveAfterKillMs: readonly number[];
}

/**
 * The presence scenario every cross-instance bus runs, on two server processes with auth (users
 * are token subs): joins and leaves seen on the other instance, a user with connections on both
 * instances listed once, the query answering every instance's users; then instance B is SIGKILLed,
 * its users leave at A within TTL + heartbeat, and B restarted with the same INSTANCE_ID (a new
 * incarnation) lists its reconnected users once, and knows A's users from the start.
 */
export async function presenceAcrossInstances(busEnv: Record<string, string>, run: string): Promise<PresenceMeasures> {
  const env = { ...busEnv, ...TIMING, AUTH_SECRET: TEST_SECRET };
  const instances = await startTwoInstances(env);
  const [serverA, serverB] = instances.servers;
  const [a, b] = instances.urls;
  const room = `room:${run}`;
  const clients: TestClient[] = [];
  const as = async (url: string, sub: string): Promise<TestClient> => {
    // Valid for the whole scenario: a connection is closed at its token's exp.
    const token = await signToken({ sub, exp: nowS() + 600, channels: { 'room:*': ['subscribe', 'presence'] } });
    const client = await TestClient.connect(wsUrl(url), { headers: { authorization: `Bearer ${token}` } });
    clients.push(client);
    return client;
  };
  const joined = async (client: TestClient, presence = false): Promise<TestClient> => {
    const reply = presence ? await subscribePresence(client, room) : await client.subscribe(room);
    expect(reply, JSON.stringify(reply)).toMatchObject({ type: 'ack' });
    return client;
  };
  const everyone = ['alice', 'bob', 'carol', 'dave'];

  // alice watches on A; the query waits out A's sync window.
  const alice = await joined(await as(a, 'alice'), true);
  expect(await members(alice, room)).toEqual(['alice']);
  // carol watches on B, which syncs on following: A's alice is there at once.
  const carol = await joined(await as(b, 'carol'), true);
  expect(await members(carol, room)).toEqual(['alice', 'carol']);
  await nextEvent(alice, 'join', room, 'carol');

  // bob on both instances, dave on B: each joins once, seen on both.
  const bobOnB = await joined(await as(b, 'bob'));
  await nextEvent(alice, 'join', room, 'bob');
  await nextEvent(carol, 'join', room, 'bob');
  await joined(await as(a, 'bob'));
  const dave = await joined(await as(b, 'dave'));
  await nextEvent(alice, 'join', room, 'dave');
  expect(await members(alice, room)).toEqual(everyone);
  expect(await members(carol, room)).toEqual(everyone);

  // bob's B connection goes: still on A, so no leave. dave unsubscribes: a leave on both.
  await bobOnB.close();
  expect(await dave.request({ type: 'unsubscribe', channel: room })).toMatchObject({ type: 'ack' });
  await nextEvent(alice, 'leave', room, 'dave');
  await nextEvent(carol, 'leave', room, 'dave');
  await settle(500);
  expect(events(alice, room)).toEqual(['join:alice', 'join:carol', 'join:bob', 'join:dave', 'leave:dave']);
  expect(events(carol, room)).toEqual(['join:carol', 'join:bob', 'join:dave', 'leave:dave']);
  const beforeRejoin = alice.frames.length;
  await joined(dave);
  await joined(await as(b, 'bob'));
  await nextEvent(alice, 'join', room, 'dave', 10_000, beforeRejoin);
  expect(await members(alice, room)).toEqual(everyone);

  // SIGKILL B: no bye, no leave; A drops B's view once B's alives (and channel messages) stop for the TTL.
  const killedAt = Date.now();
  const seen = alice.frames.length;
  const leaves = ['carol', 'dave'].map((user) => nextEvent(alice, 'leave', room, user, 20_000, seen).then(() => Date.now() - killedAt));
  await serverB.kill('SIGKILL');
  const leaveAfterKillMs = await Promise.all(leaves);
  for (const ms of leaveAfterKillMs) {
    // Last heard at most a heartbeat before the kill: expiry between TTL - heartbeat and TTL (+ sweep, delivery).
    expect(ms, `leave ${ms} ms after the kill`).toBeGreaterThanOrEqual(PRESENCE_TTL_MS - PRESENCE_HEARTBEAT_MS - 250);
    expect(ms, `leave ${ms} ms after the kill`).toBeLessThanOrEqual(PRESENCE_TTL_MS + PRESENCE_HEARTBEAT_MS);
  }
  expect(await members(alice, room), 'bob is still connected to A').toEqual(['alice', 'bob']);
  expect(events(alice, room).filter((event) => event === 'leave:bob')).toEqual([]);

  // B again, same INSTANCE_ID: a new incarnation. Its users come back, each listed once.
  const restarted = spawnServer({ PUBLISH_RATE_PER_CONNECTION: '0', ...env, PORT: '0', INSTANCE_ID: 'b' });
  const b2 = await restarted.listening(90_000);
  const carolAgain = await joined(await as(b2, 'carol'), true);
  expect(await members(carolAgain, room), 'B knows A\'s users from its sync').toEqual(['alice', 'bob', 'carol']);
  await joined(await as(b2, 'dave'));
  await joined(await as(b2, 'bob'));
  await nextEvent(carolAgain, 'join', room, 'dave');
  await settle(PRESENCE_HEARTBEAT_MS + 500);
  expect(await members(alice, room)).toEqual(everyone);
  expect(await members(carolAgain, room)).toEqual(everyone);
  expect(events(alice, room).filter((event) => event.endsWith(':bob')), 'bob never left').toEqual(['join:bob']);
  const sinceKill = events(alice, room).slice(-4);
  expect(sinceKill.slice(0, 2).sort()).toEqual(['leave:carol', 'leave:dave']);
  expect(sinceKill.slice(2)).toEqual(['join:carol', 'join:dave']);

  await Promise.all(clients.map((client) => client.close()));
  expect(await Promise.all([serverA.stop(), restarted.stop()]), 'both exit 0 on SIGTERM').toEqual([0, 0]);
  return { leaveAfterKillMs };
}
