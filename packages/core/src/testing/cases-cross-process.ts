import { expect } from 'vitest';
import type { ConformanceCase } from './conformance-case.js';
import { Inbox, range, settle } from './harness.js';
import { until } from './waits.js';

/** Messages each way in the cross-process case. */
const COUNT = 30;

// These cases are what `crossInstance` means: the other bus lives in another process, so a driver
// whose "instances" share one in-process bus cannot pass them.
export const crossProcessCases: readonly ConformanceCase[] = [
  {
    title: 'crossInstance: a subscriber in another process gets every message published here, and the reverse, in order',
    requires: ['crossInstance'],
    async run(t, features) {
      const local = await t.bus();
      const remote = await t.remoteBus();
      const channel = t.channel('cross-process');
      const there = new Inbox<number>();
      const here = new Inbox<number>();
      await remote.subscribe(channel, there.handler);
      await local.subscribe(channel, here.handler);
      const ordered = features.has('orderedPerChannel');
      const check = (inbox: Inbox<number>, expected: number[], what: string): void => {
        if (ordered) expect(inbox.data, `${what}, in publish order`).toEqual(expected);
        else expect([...inbox.data].sort((a, b) => a - b), what).toEqual(expected);
      };

      for (const index of range(COUNT)) await local.publish(channel, index);
      await there.waitFor(COUNT, t.timeoutMs, 'messages published in this process, at the subscriber in the other process');
      check(there, range(COUNT), 'messages published here, as the other process received them');

      const reverse = range(COUNT).map((index) => COUNT + index);
      for (const value of reverse) await remote.publish(channel, value);
      await here.waitFor(2 * COUNT, t.timeoutMs, 'messages (this process\'s and the other process\'s), at the subscriber in this process');
      check(here, range(2 * COUNT), 'messages of both processes, as this process received them');
      await there.waitFor(2 * COUNT, t.timeoutMs, 'messages (this process\'s and its own), at the subscriber in the other process');
      if (ordered) expect(there.data, 'both processes see one order').toEqual(here.data);
    },
  },
  {
    title: 'crossInstance with groups: one group with a member in each process gets each message, not a copy per process',
    requires: ['crossInstance', 'groups'],
    async run(t) {
      const local = await t.bus();
      const remote = await t.remoteBus();
      const channel = t.channel('cross-group');
      const group = t.group('across');
      const here = new Inbox<number>();
      const there = new Inbox<number>();
      await local.subscribe(channel, here.handler, { mode: 'group', group });
      await remote.subscribeGroup(channel, group, there.handler);
      for (const index of range(COUNT)) await local.publish(channel, index);
      await until(() => new Set([...here.data, ...there.data]).size === COUNT, t.timeoutMs, `all ${COUNT} messages on the group`);
      await settle(500);
      const delivered = [...here.data, ...there.data];
      expect([...new Set(delivered)].sort((a, b) => a - b), 'every message reached the group').toEqual(range(COUNT));
      // A group kept per process hands each process its own copy: every message twice. (A rebalance
      // may redeliver a few, so only a copy for nearly everything counts as that.)
      expect(delivered.length, 'the group is one group across processes, not one per process').toBeLessThan(COUNT + COUNT / 2);
    },
  },
  {
    title: 'crossInstance with replay: from a position handed out in the other process, and the reverse',
    requires: ['crossInstance', 'replay'],
    async run(t) {
      const local = await t.bus();
      const remote = await t.remoteBus();
      const channel = t.channel('cross-replay');
      const there = new Inbox<number>();
      await remote.subscribe(channel, there.handler);
      for (const index of range(5)) await remote.publish(channel, index);
      const seenThere = await there.waitFor(5, t.timeoutMs, 'messages published in the other process, at its own subscriber');

      const here = new Inbox<number>();
      const replayHere = await local.subscribe(channel, here.handler, { from: seenThere[1]!.position });
      expect(replayHere.replay, 'from a position the other process handed out: exact').toBe('exact');
      await here.waitFor(3, t.timeoutMs, 'messages replayed here from a position handed out in the other process');
      expect(here.data).toEqual([2, 3, 4]);

      for (const index of range(5)) await local.publish(channel, 5 + index);
      const seenHere = await here.waitFor(8, t.timeoutMs, 'messages published here, at the replaying subscriber here');
      const replayed = new Inbox<number>();
      const replayThere = await remote.subscribe(channel, replayed.handler, seenHere[4]!.position);
      expect(replayThere.replay, 'from a position this process handed out: exact').toBe('exact');
      await replayed.waitFor(3, t.timeoutMs, 'messages replayed in the other process from a position handed out here');
      expect(replayed.data).toEqual([7, 8, 9]);
    },
  },
];
