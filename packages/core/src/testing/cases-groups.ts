import { expect } from 'vitest';
import { DEAD_LETTER_HEADERS } from '../subscribe-options.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBusError } from './expect-bus-error.js';
import { Inbox, range, settle } from './harness.js';

export const groupCases: readonly ConformanceCase[] = [
  {
    title: 'group mode: each message goes to exactly one member; another group gets its own copy',
    requires: ['groups'],
    async run(t, features) {
      const near = await t.bus();
      const far = features.has('crossInstance') ? await t.bus() : near;
      const channel = t.channel('work');
      const group = t.group('workers');
      const members = [new Inbox<number>(), new Inbox<number>(), new Inbox<number>()];
      await near.subscribe(channel, members[0]!.handler, { mode: 'group', group });
      await near.subscribe(channel, members[1]!.handler, { mode: 'group', group });
      const third = await far.subscribe(channel, members[2]!.handler, { mode: 'group', group });
      expect(third.mode).toBe('group');
      const audit = new Inbox<number>();
      await far.subscribe(channel, audit.handler, { mode: 'group', group: t.group('audit') });
      const count = 30;
      for (const index of range(count)) await near.publish(channel, index);
      await audit.waitFor(count, t.timeoutMs, 'messages in the second group');
      const deadline = Date.now() + t.timeoutMs;
      const total = (): number => members.reduce((sum, inbox) => sum + inbox.messages.length, 0);
      while (total() < count && Date.now() < deadline) await settle(50);
      await settle(300);
      const delivered = members.flatMap((inbox) => inbox.data).sort((a, b) => a - b);
      expect(delivered, 'each message delivered to exactly one member').toEqual(range(count));
      expect([...audit.data].sort((a, b) => a - b)).toEqual(range(count));
    },
  },
  {
    title: 'group mode: a message whose handler throws is delivered again with a higher attempt',
    requires: ['groups'],
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('retry');
      const deadLetters = new Inbox();
      const deadLetterChannel = t.channel('retry-dead');
      await bus.subscribe(deadLetterChannel, deadLetters.handler);
      const attempts: number[] = [];
      const done = new Inbox();
      await bus.subscribe(
        channel,
        (message) => {
          attempts.push(message.attempt);
          if (message.attempt === 1) throw new Error('first attempt fails on purpose');
          done.handler(message);
        },
        { mode: 'group', group: t.group(), maxAttempts: 3, deadLetterChannel, onError: () => {} },
      );
      const receipt = await bus.publish(channel, { job: 1 });
      const [message] = await done.waitFor(1, t.timeoutMs, 'redelivered messages');
      expect(message?.id).toBe(receipt.id);
      expect(message?.data).toEqual({ job: 1 });
      expect(message?.attempt).toBe(2);
      await settle(300);
      expect(attempts).toEqual([1, 2]);
      expect(deadLetters.messages).toHaveLength(0);
    },
  },
  {
    title: 'group mode: after maxAttempts failures the message goes to the dead-letter channel and the group moves on',
    requires: ['groups'],
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('poison');
      const deadLetterChannel = t.channel('poison-dead');
      const deadLetters = new Inbox();
      await bus.subscribe(deadLetterChannel, deadLetters.handler);
      const attempts: number[] = [];
      const good = new Inbox();
      await bus.subscribe(
        channel,
        (message) => {
          if (message.data === 'poison') {
            attempts.push(message.attempt);
            throw new Error('cannot process poison');
          }
          good.handler(message);
        },
        { mode: 'group', group: t.group(), maxAttempts: 3, deadLetterChannel, onError: () => {} },
      );
      const poison = await bus.publish(channel, 'poison', { headers: { 'x-origin': 'test' } });
      await bus.publish(channel, 'after');
      const [dead] = await deadLetters.waitFor(1, t.timeoutMs, 'dead letters');
      await good.waitFor(1, t.timeoutMs, 'messages after the poison one');
      expect(attempts).toEqual([1, 2, 3]);
      expect(dead?.data).toBe('poison');
      expect(dead?.headers).toMatchObject({
        'x-origin': 'test',
        [DEAD_LETTER_HEADERS.channel]: channel,
        [DEAD_LETTER_HEADERS.id]: poison.id,
        [DEAD_LETTER_HEADERS.attempts]: '3',
      });
      expect(dead?.headers[DEAD_LETTER_HEADERS.error]).toContain('cannot process poison');
      expect(good.data).toEqual(['after']);
    },
  },
  {
    title: 'group mode needs a valid group name',
    requires: ['groups'],
    async run(t) {
      const bus = await t.bus();
      const inbox = new Inbox();
      await expectBusError(() => bus.subscribe(t.channel('no-group'), inbox.handler, { mode: 'group' }), 'invalid_options');
      await expectBusError(() => bus.subscribe(t.channel('bad-group'), inbox.handler, { mode: 'group', group: 'a b' }), 'invalid_options');
    },
  },
  {
    title: 'group mode is refused when the driver lacks the groups feature',
    requiresMissing: 'groups',
    async run(t) {
      const bus = await t.bus();
      const inbox = new Inbox();
      await expectBusError(() => bus.subscribe(t.channel('no-groups'), inbox.handler, { mode: 'group', group: 'g' }), 'unsupported');
    },
  },
];
