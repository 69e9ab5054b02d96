import { expect } from 'vitest';
import type { BusFeature } from '../features.js';
import type { Message, MessageBus } from '../message-bus.js';
import type { ConformanceCase } from './conformance-case.js';
import { Inbox, settle, type TestContext } from './harness.js';

/** How the handler publishes its reply: fire and forget, or awaited inside the handler. */
type ReplyStyle = 'not awaited' | 'awaited';

/**
 * A handler that publishes `reply` to its own channel when it sees `trigger` (once), recording
 * every message it gets. Publish errors fail the case through `failures`.
 */
function replyingHandler(bus: MessageBus, channel: string, trigger: string, style: ReplyStyle, inbox: Inbox<string>, failures: unknown[]) {
  let replied = false;
  return (message: Message<string>): void | Promise<void> => {
    inbox.handler(message);
    if (message.data !== trigger || replied) return;
    replied = true;
    const publishing = bus.publish(channel, 'reply').then(
      () => undefined,
      (error: unknown) => {
        failures.push(error);
      },
    );
    return style === 'awaited' ? publishing : undefined;
  };
}

/**
 * Checks that `inbox` got `expected` and the reply, each once, the reply after `trigger`, and,
 * when the bus replays, in exactly the order a fresh subscription from `from` reads the channel.
 */
async function expectAllOnce(
  t: TestContext,
  bus: MessageBus,
  channel: string,
  inbox: Inbox<string>,
  expected: readonly string[],
  trigger: string,
  from: string | undefined,
  features: ReadonlySet<BusFeature>,
): Promise<void> {
  const total = expected.length + 1;
  await inbox.waitFor(total, t.timeoutMs, 'messages: every one published and the reply the handler published');
  await settle(300);
  expect([...inbox.data].sort(), 'every message and the reply, each once').toEqual([...expected, 'reply'].sort());
  if (!features.has('orderedPerChannel')) return;
  const received = inbox.data;
  expect(received.indexOf('reply'), 'the reply comes after the message that triggered it').toBeGreaterThan(received.indexOf(trigger));
  expect(received.filter((data) => data !== 'reply'), 'the published messages in publish order').toEqual([...expected]);
  if (from === undefined || !features.has('replay')) return;
  const fresh = new Inbox<string>();
  const reader = await bus.subscribe(channel, fresh.handler, { from });
  await fresh.waitFor(total, t.timeoutMs, 'messages read back from the channel');
  await settle(200);
  await reader.unsubscribe();
  expect(
    inbox.messages.map((message) => `${message.data}@${message.position}`),
    'the subscriber got the channel in the order (and at the positions) a fresh replay reads it',
  ).toEqual(fresh.messages.map((message) => `${message.data}@${message.position}`));
}

function replayCase(style: ReplyStyle): ConformanceCase {
  return {
    title: `a handler of a from subscription that publishes to its own channel during its backlog (${style}) gets every backlog message and its reply, once, in the channel's order`,
    requires: ['replay'],
    async run(t, features) {
      const bus = await t.bus();
      const channel = t.channel(`reentrant-replay-${style.replace(' ', '-')}`);
      const backlog = ['b', 'c', 'd', 'e'];
      const early = await bus.publish(channel, 'a');
      for (const data of backlog) await bus.publish(channel, data);
      const from = early.position as string;
      const inbox = new Inbox<string>();
      const failures: unknown[] = [];
      await bus.subscribe(channel, replyingHandler(bus, channel, 'b', style, inbox, failures), { from });
      await expectAllOnce(t, bus, channel, inbox, backlog, 'b', from, features);
      expect(failures, 'the reply was published').toEqual([]);
    },
  };
}

export const reentrantCases: readonly ConformanceCase[] = [
  replayCase('not awaited'),
  replayCase('awaited'),
  {
    title: 'a live handler that publishes to its own channel synchronously gets every message and its reply, once, in the channel\'s order',
    async run(t, features) {
      const bus = await t.bus();
      const channel = t.channel('reentrant-live');
      const published = ['m0', 'm1', 'm2', 'm3'];
      const inbox = new Inbox<string>();
      const failures: unknown[] = [];
      const subscription = await bus.subscribe(channel, replyingHandler(bus, channel, 'm0', 'not awaited', inbox, failures));
      for (const data of published) await bus.publish(channel, data);
      await expectAllOnce(t, bus, channel, inbox, published, 'm0', subscription.startPosition, features);
      expect(failures, 'the reply was published').toEqual([]);
    },
  },
];
