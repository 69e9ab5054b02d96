import { expect } from 'vitest';
import type { Message, MessageBus, PublishReceipt } from '../message-bus.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBusError } from './expect-bus-error.js';
import { Inbox, settle, type TestContext } from './harness.js';
import { until } from './waits.js';

/** One publish of a case: its data (also its id) and whether it was ephemeral. */
interface Sent {
  readonly label: string;
  readonly ephemeral: boolean;
}

/** Starts with an ephemeral one (on a fresh channel) and has ephemeral runs between stored ones. */
const PATTERN: readonly boolean[] = [true, false, true, false, true, true, false, false, true, false, true];

/** Indexes in {@link PATTERN} of the ephemeral publishes the replay case resumes from. */
const RESUME_FROM: readonly number[] = [0, 5, 10];

function plan(prefix: string): Sent[] {
  return PATTERN.map((ephemeral, index) => ({ label: `${prefix}-${index}-${ephemeral ? 'e' : 's'}`, ephemeral }));
}

/**
 * Publishes `sent` from one caller without awaiting each (so a batching driver puts stored and
 * ephemeral ones in one batch), then awaits them all; the id of each is its label.
 */
async function publishAll(bus: MessageBus, channel: string, sent: readonly Sent[]): Promise<PublishReceipt[]> {
  return Promise.all(sent.map(({ label, ephemeral }) => bus.publish(channel, label, { id: `id-${label}`, ephemeral })));
}

const labelsOf = (messages: readonly Message[]): string[] => messages.map((message) => message.data as string);

/**
 * Checks a replay from a point: every stored message of `expected` arrives, once and in order,
 * and whatever ephemeral ones arrive are in their place (the replay is a subsequence of
 * `expected`), with no message from before the point and none twice.
 */
async function expectStoredInPlace(t: TestContext, inbox: Inbox, expected: readonly Sent[], ordered: boolean, what: string): Promise<void> {
  const stored = expected.filter((sent) => !sent.ephemeral).map((sent) => sent.label);
  await until(() => stored.every((label) => labelsOf(inbox.messages).includes(label)), t.timeoutMs, `every stored message ${what}`);
  await settle(300);
  const got = labelsOf(inbox.messages);
  expect(new Set(got).size, `${what}: nothing twice (${got.join(', ')})`).toBe(got.length);
  const allowed = expected.map((sent) => sent.label);
  for (const label of got) expect(allowed, `${what}: only messages after the point (${got.join(', ')})`).toContain(label);
  if (!ordered) return;
  expect(got.filter((label) => stored.includes(label)), `${what}: the stored messages in publish order`).toEqual(stored);
  const places = got.map((label) => allowed.indexOf(label));
  expect(places, `${what}: ephemeral messages, when delivered, in their place (${got.join(', ')})`).toEqual([...places].sort((a, b) => a - b));
}

export const ephemeralCases: readonly ConformanceCase[] = [
  {
    title: 'ephemeral publishes between stored ones arrive live once each, in publish order, with a receipt like a stored one',
    async run(t, features) {
      const bus = await t.bus();
      const channel = t.channel('ephemeral-live');
      const inbox = new Inbox<string>();
      await bus.subscribe(channel, inbox.handler);
      const sent = plan('live');
      const receipts = await publishAll(bus, channel, sent);
      const received = await inbox.waitFor(sent.length, t.timeoutMs, 'messages, ephemeral and stored, delivered live');
      await settle(300);
      expect(inbox.messages, 'each message once').toHaveLength(sent.length);
      const labels = sent.map((item) => item.label);
      if (features.has('orderedPerChannel')) expect(inbox.data, 'one publisher, one order: ephemeral or not').toEqual(labels);
      else expect([...inbox.data].sort()).toEqual([...labels].sort());
      const storedHavePositions = receipts.some((receipt, index) => !sent[index]!.ephemeral && receipt.position !== undefined);
      for (const [index, receipt] of receipts.entries()) {
        const { label, ephemeral } = sent[index]!;
        expect(receipt.id, `receipt of ${label}`).toBe(`id-${label}`);
        const message = received.find((item) => item.id === receipt.id);
        expect(message, `${label} was delivered with its id`).toBeDefined();
        expect(typeof message?.position, `${label} has a position`).toBe('string');
        if (ephemeral && storedHavePositions) expect(typeof receipt.position, `the receipt of ${label} has a position, as stored ones do`).toBe('string');
        if (receipt.position !== undefined) expect(message?.position, `${label}: the delivered position is the receipt's`).toBe(receipt.position);
      }
    },
  },
  {
    title: 'replay across ephemeral publishes: every stored message once, in order, ephemeral ones only in their place; from an ephemeral position, what came after it',
    requires: ['replay'],
    async run(t, features) {
      const bus = await t.bus();
      const channel = t.channel('ephemeral-replay');
      const ordered = features.has('orderedPerChannel');
      const live = new Inbox<string>();
      const subscription = await bus.subscribe(channel, live.handler);
      const start = subscription.startPosition as string;
      expect(typeof start, 'a live broadcast subscription of a replay driver has a startPosition').toBe('string');
      const sent = plan('replay');
      await publishAll(bus, channel, sent);
      const delivered = await live.waitFor(sent.length, t.timeoutMs, 'messages delivered live');

      const fromStart = new Inbox();
      const replaying = await bus.subscribe(channel, fromStart.handler, { from: start });
      expect(replaying.replay, 'nothing was trimmed, so the replay is exact').toBe('exact');
      await expectStoredInPlace(t, fromStart, sent, ordered, 'replayed from before the first publish');

      // The first (on a fresh channel), the second of a run, and the last (nothing stored after it).
      for (const index of RESUME_FROM) {
        const item = sent[index]!;
        const position = delivered.find((message) => message.id === `id-${item.label}`)?.position;
        expect(typeof position, `${item.label} was delivered live with a position`).toBe('string');
        const inbox = new Inbox();
        const resumed = await bus.subscribe(channel, inbox.handler, { from: position as string });
        expect(resumed.replay, `from the position of ${item.label}: exact`).toBe('exact');
        await expectStoredInPlace(t, inbox, sent.slice(index + 1), ordered, `replayed from the position of ${item.label}`);
      }

      // Live after the replay: both kinds still come, after what was replayed.
      const after = [{ label: 'replay-after-s', ephemeral: false }, { label: 'replay-after-e', ephemeral: true }];
      await publishAll(bus, channel, after);
      await until(() => fromStart.data.includes('replay-after-s') && fromStart.data.includes('replay-after-e'), t.timeoutMs, 'live messages after the replay');
      if (ordered) expect(fromStart.data.slice(-2), 'live after the replay, in publish order').toEqual(['replay-after-s', 'replay-after-e']);
    },
  },
  {
    title: 'an ephemeral publish reaches a group like a stored one',
    requires: ['groups'],
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('ephemeral-group');
      const inbox = new Inbox<string>();
      await bus.subscribe(channel, inbox.handler, { mode: 'group', group: t.group() });
      const sent = [{ label: 'group-0-e', ephemeral: true }, { label: 'group-1-s', ephemeral: false }, { label: 'group-2-e', ephemeral: true }];
      await publishAll(bus, channel, sent);
      await inbox.waitFor(sent.length, t.timeoutMs, 'messages for the group member');
      await settle(200);
      expect([...inbox.data].sort(), 'each once').toEqual(sent.map((item) => item.label).sort());
    },
  },
  {
    title: 'an ephemeral option that is not a boolean is refused with invalid_options, and nothing is published',
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('ephemeral-bad');
      const inbox = new Inbox<string>();
      await bus.subscribe(channel, inbox.handler);
      await expectBusError(() => bus.publish(channel, 'refused', { ephemeral: 'yes' as unknown as boolean }), 'invalid_options');
      await bus.publish(channel, 'after');
      await inbox.waitFor(1, t.timeoutMs);
      await settle(200);
      expect(inbox.data, 'the refused publish published nothing').toEqual(['after']);
    },
  },
];
