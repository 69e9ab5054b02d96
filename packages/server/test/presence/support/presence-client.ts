import { withTimeout } from '@app/core';
import { expect } from 'vitest';
import type { Frame, TestClient } from '../../support/test-client.js';

let nextId = 1;

/** Subscribes with `presence: true`; resolves with the ack or error. */
export function subscribePresence(client: TestClient, channel: string): Promise<Frame> {
  return client.request({ type: 'subscribe', channel, presence: true });
}

/** Sends a `presence` query; resolves with its answer (a `presence` or an `error` frame). */
export function queryPresence(client: TestClient, channel: string): Promise<Frame> {
  const id = `q${nextId++}`;
  client.send({ type: 'presence', channel, id });
  return withTimeout(
    client.next((frame) => frame.id === id && (frame.type === 'presence' || frame.type === 'error')),
    30_000,
    `the answer to presence query ${id} on ${channel}`,
  );
}

/** The users of a `presence` answer, sorted; fails unless it is one. */
export function membersOf(answer: Frame): string[] {
  expect(answer, JSON.stringify(answer)).toMatchObject({ type: 'presence' });
  return (answer['members'] as { user: string }[]).map((member) => member.user).sort();
}

/** The members a query on `channel` returns, sorted. */
export async function members(client: TestClient, channel: string): Promise<string[]> {
  return membersOf(await queryPresence(client, channel));
}

/** The `join`/`leave` events of `channel` the client received so far, in order, as `join:alice`. */
export function events(client: TestClient, channel: string): string[] {
  return client.frames
    .filter((frame) => (frame.type === 'join' || frame.type === 'leave') && frame.channel === channel)
    .map((frame) => `${frame.type}:${String(frame['user'])}`);
}

/**
 * Waits for a `join` or `leave` of `user` on `channel`; one already received counts, unless it is
 * among the first `after` frames.
 */
export async function nextEvent(client: TestClient, type: 'join' | 'leave', channel: string, user: string, timeoutMs = 10_000, after = 0): Promise<Frame> {
  return withTimeout(
    client.next((frame) => frame.type === type && frame.channel === channel && frame['user'] === user && client.frames.indexOf(frame) >= after),
    timeoutMs,
    `${type} of ${user} on ${channel}`,
  );
}

/** Lets in-flight presence messages land before asserting that something did not happen. */
export function settle(ms = 200): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
