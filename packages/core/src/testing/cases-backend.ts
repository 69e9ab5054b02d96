import { expect } from 'vitest';
import { isBusError } from '../errors.js';
import type { BusStatus, MessageBus } from '../message-bus.js';
import type { ConformanceCase } from './conformance-case.js';
import { Inbox, range, settle } from './harness.js';

async function untilStatus(bus: MessageBus, wanted: (status: BusStatus) => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!wanted(bus.status())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (status "${bus.status()}")`);
    await settle(20);
  }
}

type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

export const backendCases: readonly ConformanceCase[] = [
  {
    title: 'persistent: what was acknowledged before a backend restart survives it, and the bus recovers to "ready"',
    requires: ['persistent'],
    // Without the hook the case runs and fails, unless the target says why it has none.
    skipUnless: (target) => (target.restartBackend === undefined ? target.withoutHooks?.restartBackend : undefined),
    async run(t, features) {
      const restart = t.target.restartBackend;
      if (restart === undefined) {
        throw new Error(`target "${t.target.name}" declares persistent but gives no restartBackend hook (nor a reason in withoutHooks.restartBackend): claiming the feature requires proving it`);
      }
      const bus = await t.bus();
      const channel = t.channel('restart');
      const live = new Inbox<number>();
      const subscription = await bus.subscribe(channel, live.handler);
      for (const index of range(5)) await bus.publish(channel, index);
      await live.waitFor(5, t.timeoutMs, 'messages before the restart');
      await restart.call(t.target);
      await untilStatus(bus, (status) => status === 'ready', 2 * t.timeoutMs, 'status "ready" after the backend restart');
      for (const index of range(5)) await bus.publish(channel, 5 + index);
      await live.waitFor(10, t.timeoutMs, 'messages at a subscription made before the restart, published after it');
      expect(live.data, 'the live subscription missed nothing across the restart').toEqual(range(10));
      if (features.has('replay') && subscription.startPosition !== undefined) {
        const replay = new Inbox<number>();
        await bus.subscribe(channel, replay.handler, { from: subscription.startPosition });
        await replay.waitFor(10, t.timeoutMs, 'messages replayed after the restart (the first 5 were acknowledged before it)');
        expect(replay.data, 'acknowledged before the restart, still there after it').toEqual(range(10));
      }
    },
  },
  {
    title: 'a cut connection: status leaves "ready" and comes back, publishes meanwhile fail retryably or wait, nothing acknowledged is missed',
    skipUnless: (target) =>
      target.cutConnection !== undefined && target.restoreConnection !== undefined
        ? undefined
        : `target gives no cutConnection/restoreConnection hooks${target.withoutHooks?.cutConnection === undefined ? '' : `: ${target.withoutHooks.cutConnection}`}`,
    async run(t, features) {
      const bus = await t.bus();
      const channel = t.channel('cut');
      const live = new Inbox<unknown>();
      await bus.subscribe(channel, live.handler);
      for (const index of range(3)) await bus.publish(channel, index);
      await live.waitFor(3, t.timeoutMs, 'messages before the cut');
      let during: Promise<Outcome> | undefined;
      await t.target.cutConnection?.();
      try {
        await untilStatus(bus, (status) => status !== 'ready', t.timeoutMs, 'status to leave "ready" once the connection was cut');
        during = bus.publish(channel, 'during').then(
          (): Outcome => ({ ok: true }),
          (error: unknown): Outcome => ({ ok: false, error }),
        );
        const early = await Promise.race([during, settle(500).then(() => undefined)]);
        expect(early?.ok, 'a publish resolved while the backend was cut off').not.toBe(true);
        if (early !== undefined && !early.ok) {
          expect(isBusError(early.error) && early.error.isRetryable, `a publish during the cut must fail retryably or wait; got ${String(early.error)}`).toBe(true);
        }
      } finally {
        await t.target.restoreConnection?.();
      }
      await untilStatus(bus, (status) => status === 'ready', 2 * t.timeoutMs, 'status "ready" after the connection was restored');
      const outcome = await during;
      if (outcome !== undefined && !outcome.ok) {
        expect(isBusError(outcome.error) && outcome.error.isRetryable, `a publish that waited through the cut may only fail retryably; got ${String(outcome.error)}`).toBe(true);
      }
      const acked: unknown[] = [...range(3), ...(outcome?.ok === true ? ['during'] : [])];
      for (const index of range(3)) await bus.publish(channel, 3 + index);
      acked.push(...range(3).map((index) => 3 + index));
      await live.waitFor(acked.length, 2 * t.timeoutMs, 'acknowledged messages after the connection came back');
      await settle(200);
      if (features.has('orderedPerChannel')) expect(live.data, 'every acknowledged message, once, in order').toEqual(acked);
      else expect(live.data.map(String).sort(), 'every acknowledged message, once').toEqual(acked.map(String).sort());
    },
  },
];
