import { expect } from 'vitest';
import { isBusError, type BusError } from '../errors.js';
import type { Message } from '../message-bus.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBusError } from './expect-bus-error.js';
import { Inbox, range, settle, type TestContext } from './harness.js';
import { blockingGate, until, within } from './waits.js';

/** Messages the slow-subscriber case publishes past the target's bound. */
const OVER_BOUND = 20;
/** Room on top of the target's close bound for the bus's own teardown (connections, clients). */
const CLOSE_MARGIN_MS = 5000;

/** The slow broadcast subscriber: everything in order, or a gap-free prefix then one position_expired. */
async function slowSubscriber(t: TestContext, replay: boolean): Promise<void> {
  const bound = t.target.slowSubscriberBound ?? 100;
  const total = bound + OVER_BOUND;
  const bus = await t.bus();
  const channel = t.channel('slow');
  const blocked = blockingGate();
  const handled: Message<number>[] = [];
  const errors: Error[] = [];
  let callsAfterError = 0;
  const subscription = await bus.subscribe<number>(
    channel,
    async (message) => {
      if (errors.length > 0) callsAfterError += 1;
      handled.push(message);
      await blocked.wait;
    },
    { onError: (error) => errors.push(error) },
  );
  // A fast subscriber on the same bus shows when the bus has handed everything out.
  const fast = new Inbox<number>();
  await bus.subscribe(channel, fast.handler);
  for (const index of range(total)) await bus.publish(channel, index);
  await fast.waitFor(total, t.timeoutMs, 'messages on the fast subscriber');
  await settle(200);
  blocked.release();
  await until(() => handled.length === total || errors.length > 0, t.timeoutMs, `all ${total} messages or one position_expired`);
  await settle(300);
  expect(errors.filter((error) => isBusError(error) && error.reason === 'internal'), 'a slow subscriber is not a driver bug (internal)').toEqual([]);
  expect(errors.length, 'at most one error, the position_expired that ends the subscription').toBeLessThanOrEqual(1);
  const received = handled.map((message) => message.data);
  if (errors.length === 0) {
    // Backpressure: nothing lost, in order.
    expect(received).toEqual(range(total));
    await subscription.unsubscribe();
    return;
  }
  const [error] = errors as [BusError];
  expect(isBusError(error), `expected a BusError, got ${String(error)}`).toBe(true);
  expect(error.reason).toBe('position_expired');
  expect(error.isRetryable).toBe(true);
  expect(error.message).toContain(channel);
  expect(received, 'what was handled before position_expired is a gap-free prefix').toEqual(range(received.length));
  expect(callsAfterError, 'no handler call after position_expired').toBe(0);
  await within(subscription.unsubscribe(), 1000, 'unsubscribe() after position_expired');
  expect(handled.length).toBe(received.length);
  if (!replay) return;
  const last = handled.at(-1);
  const from = last?.position ?? subscription.startPosition;
  expect(from, 'a position to resume from').toBeDefined();
  const rest = new Inbox<number>();
  await bus.subscribe(channel, rest.handler, { from: from as string });
  await rest.waitFor(total - received.length, t.timeoutMs, 'the messages after the last one handled');
  await settle(300);
  expect(rest.data, 'resumed with no gap and no duplicate').toEqual(range(total).slice(received.length));
}

/**
 * The slow group: one member blocked while more than twice the bound is published. Every publish
 * either resolves, and then its message reaches the group once the member catches up, or is
 * refused with a retryable `overloaded` and never delivered.
 */
async function slowGroup(t: TestContext): Promise<void> {
  const bound = t.target.slowSubscriberBound ?? 100;
  const total = 2 * bound + OVER_BOUND;
  const bus = await t.bus();
  const channel = t.channel('slow-group');
  const blocked = blockingGate();
  const handled = new Set<number>();
  const errors: Error[] = [];
  const member = async (message: Message<number>): Promise<void> => {
    handled.add(message.data);
    await blocked.wait;
  };
  await bus.subscribe<number>(channel, member, { mode: 'group', group: t.group(), onError: (error) => errors.push(error) });
  const accepted: number[] = [];
  for (const index of range(total)) {
    try {
      await bus.publish(channel, index);
      accepted.push(index);
    } catch (error) {
      if (!isBusError(error) || error.reason !== 'overloaded' || !error.isRetryable) throw error;
    }
  }
  await until(() => handled.size > 0, t.timeoutMs, 'the group member to start');
  await settle(200);
  blocked.release();
  await until(() => accepted.every((index) => handled.has(index)), t.timeoutMs, `all ${accepted.length} accepted messages on the group`);
  await settle(300);
  expect(errors, 'a slow group is not an error (nor internal)').toEqual([]);
  expect([...handled].sort((a, b) => a - b), 'every accepted message, and no refused one').toEqual(accepted);
}

export const contractCases: readonly ConformanceCase[] = [
  {
    title: 'a slow broadcast subscriber is never skipped silently: all in order, or a gap-free prefix, one position_expired, then nothing',
    async run(t, features) {
      await slowSubscriber(t, features.has('replay'));
    },
  },
  {
    title: 'a slow group member never loses a message: it is held for the group, or the publish is refused with a retryable "overloaded"',
    requires: ['groups'],
    async run(t) {
      await slowGroup(t);
    },
  },
  {
    title: 'close() and unsubscribe() give up on a handler that never returns within the driver\'s closeTimeoutMs',
    async run(t, features) {
      const limit = (t.target.closeTimeoutMs ?? 5000) + CLOSE_MARGIN_MS;
      const bus = await t.bus();
      const channel = t.channel('stuck');
      const started: string[] = [];
      const never = (label: string) => (): Promise<void> => {
        started.push(label);
        return new Promise<void>(() => {});
      };
      const group = features.has('groups') ? await bus.subscribe(channel, never('group'), { mode: 'group', group: t.group() }) : undefined;
      await bus.subscribe(channel, never('broadcast'));
      const unsubscribed = await bus.subscribe(channel, never('unsubscribed'));
      await bus.publish(channel, 'stuck');
      await bus.publish(channel, 'queued behind it');
      const expected = group === undefined ? 2 : 3;
      await until(() => started.length === expected, t.timeoutMs, 'every handler to start');
      await within(unsubscribed.unsubscribe(), limit, 'unsubscribe() of a subscription whose handler never returns');
      await within(bus.close(), limit, 'close() of a bus with handlers that never return');
      expect(started.sort()).toEqual(group === undefined ? ['broadcast', 'unsubscribed'] : ['broadcast', 'group', 'unsubscribed']);
      expect(bus.status()).toBe('closed');
    },
  },
  {
    title: 'from with group mode is refused with "invalid_options" (a group resumes from its own state), with or without replay',
    requires: ['groups'],
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('group-from');
      const probe = await bus.subscribe(channel, () => {});
      const receipt = await bus.publish(channel, 'first');
      // Without replay the bus hands out no position; any string must be refused the same way.
      const from = receipt.position ?? probe.startPosition ?? 'no-position';
      const inbox = new Inbox();
      await expectBusError(() => bus.subscribe(channel, inbox.handler, { mode: 'group', group: t.group(), from }), 'invalid_options');
      await bus.publish(channel, 'second');
      await settle(300);
      expect(inbox.messages, 'the refused group subscription delivers nothing').toEqual([]);
    },
  },
];
