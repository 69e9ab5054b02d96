import { readFileSync } from 'node:fs';
import { isBusError, type BusError, type MessageBus } from '@app/core';
import { Inbox } from '@app/core/testing';
import { expect, inject } from 'vitest';
import './harness/provided.js';
import type { KafkaTestTls } from './harness/provided.js';

/**
 * The TLS listeners, or a thrown error naming why they are missing. Outside CI a run without them
 * skips the TLS tests (see {@link skipTls}); under CI=true they fail loudly instead.
 */
export function tlsListeners(): KafkaTestTls {
  const tls = inject('kafkaTls');
  if (tls === null) throw new Error(`no TLS listeners to test against: ${inject('kafkaTlsMissing')}`);
  return tls;
}

/** True when the TLS listeners are missing and this is not CI: `describe.skipIf(skipTls)`. */
export const skipTls: boolean = inject('kafkaTls') === null && process.env['CI'] !== 'true';

export function pem(file: string): string {
  return readFileSync(file, 'utf8');
}

export function list(brokers: string): string[] {
  return brokers.split(',');
}

/** An unsecured JWS (`alg: none`, empty signature), what the OAUTHBEARER test listener accepts. */
export function unsecuredJws(claims: { sub?: string; exp?: number; iat?: number }): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Subscribes, publishes one message and expects it back. */
export async function roundTrip(bus: MessageBus, channel = 'tls:check'): Promise<void> {
  const inbox = new Inbox();
  await bus.subscribe(channel, inbox.handler);
  await bus.publish(channel, 'over tls');
  await inbox.waitFor(1, 20_000);
  expect(inbox.data).toEqual(['over tls']);
}

/** The BusError the action rejects with; a bus it resolved with is closed and the test fails. */
export async function failure(action: () => Promise<unknown>): Promise<BusError> {
  const outcome = await action().then(
    (value) => value,
    (error: unknown) => error,
  );
  if (!isBusError(outcome)) {
    if (outcome !== null && typeof outcome === 'object' && 'close' in outcome) await (outcome as MessageBus).close();
    throw new Error(`expected a BusError, got ${String(outcome)}`);
  }
  return outcome;
}
