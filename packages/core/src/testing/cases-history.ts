import { expect } from 'vitest';
import type { ConformanceCase } from './conformance-case.js';
import { expectBusError } from './expect-bus-error.js';
import { Inbox, range, settle } from './harness.js';

/** The default `aheadPosition`: the last run of digits of `newest` made 1,000,000 larger. */
export function defaultAheadPosition(newest: string): string | undefined {
  const match = /(\d+)(\D*)$/.exec(newest);
  if (match === null) return undefined;
  const digits = match[1] as string;
  return `${newest.slice(0, match.index)}${(BigInt(digits) + 1_000_000n).toString()}${match[2] ?? ''}`;
}

export const historyCases: readonly ConformanceCase[] = [
  {
    title: 'replay from a well-formed position beyond the newest message is rejected with invalid_position',
    requires: ['replay'],
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('ahead');
      const inbox = new Inbox<number>();
      await bus.subscribe(channel, inbox.handler);
      for (const index of range(3)) await bus.publish(channel, index);
      const newest = (await inbox.waitFor(3, t.timeoutMs))[2]!.position;
      const ahead = t.target.aheadPosition?.(newest, channel) ?? defaultAheadPosition(newest);
      if (ahead === undefined) {
        throw new Error(`position ${newest} ends in no number, so the suite cannot make one ahead of it: give the target an aheadPosition hook`);
      }
      const replay = new Inbox<number>();
      await expectBusError(() => bus.subscribe(channel, replay.handler, { from: ahead }), 'invalid_position');
      await bus.publish(channel, 3);
      await inbox.waitFor(4, t.timeoutMs, 'messages after the refused subscription');
      expect(replay.messages, 'the refused subscription delivered nothing').toHaveLength(0);
    },
  },
  {
    title: 'replay from a position older than what the bus keeps starts at the oldest kept message and reports "truncated"',
    requires: ['replay'],
    skipUnless: (target) =>
      target.truncateHistory !== undefined ? undefined : `target gives no truncateHistory hook${target.withoutHooks?.truncateHistory === undefined ? '' : `: ${target.withoutHooks.truncateHistory}`}`,
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('truncated');
      const live = new Inbox<number>();
      await bus.subscribe(channel, live.handler);
      for (const index of range(6)) await bus.publish(channel, index);
      const seen = await live.waitFor(6, t.timeoutMs);
      await t.target.truncateHistory?.(channel, seen[3]!.position);
      const replay = new Inbox<number>();
      const subscription = await bus.subscribe(channel, replay.handler, { from: seen[0]!.position });
      expect(subscription.replay, 'messages 1 and 2 are gone, so the replay is truncated').toBe('truncated');
      await replay.waitFor(3, t.timeoutMs, 'messages kept after the truncation');
      await bus.publish(channel, 6);
      await replay.waitFor(4, t.timeoutMs, 'live messages after the truncated replay');
      await settle(200);
      expect(replay.data, 'from the oldest kept message on, then live, nothing twice').toEqual([3, 4, 5, 6]);
    },
  },
];
