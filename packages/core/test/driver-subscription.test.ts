import { BusError, isBusError, silentLogger, type Message } from '@app/core';
import { BusLifecycle, DriverSubscription, resolveSubscribeOptions, type DriverSubscriptionSettings } from '@app/core/driver';
import { blockingGate } from '@app/core/testing';
import { describe, expect, it, vi } from 'vitest';

/** The smallest driver subscription: it only counts how often it was detached. */
class TestSubscription extends DriverSubscription {
  detachCalls = 0;
  protected detach(): void {
    this.detachCalls += 1;
  }
}

const FEATURES = new Set(['replay', 'groups'] as const);

function settings(handler: DriverSubscriptionSettings['handler'], overrides: Partial<DriverSubscriptionSettings> = {}, onError?: (error: Error) => void): DriverSubscriptionSettings {
  const options = resolveSubscribeOptions('test:1', handler, onError === undefined ? undefined : { onError }, FEATURES);
  return { channel: 'test:1', replay: 'none', handler, options, maxPending: 3, closeTimeoutMs: 100, logger: silentLogger, ...overrides };
}

function message(seq: number): Message {
  return { id: `m${seq}`, channel: 'test:1', data: seq, headers: {}, timestamp: 0, position: String(seq), attempt: 1 };
}

describe('DriverSubscription', () => {
  it('ends a broadcast subscriber past its bound with one position_expired, after the running handler, and starts no handler after', async () => {
    const gate = blockingGate();
    const handled: unknown[] = [];
    const errors: Error[] = [];
    const subscription = new TestSubscription(
      settings(
        async (received) => {
          handled.push(received.data);
          await gate.wait;
        },
        {},
        (error) => errors.push(error),
      ),
    );
    // One runs, three wait, the fifth does not fit; later offers are refused too.
    expect([0, 1, 2, 3, 4, 5].map((seq) => subscription.offer(message(seq)))).toEqual([true, true, true, true, false, false]);
    expect(subscription.active).toBe(false);
    expect(errors).toEqual([]);
    gate.release();
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(isBusError(errors[0]) && errors[0].reason).toBe('position_expired');
    expect(errors[0]?.message).toContain('"test:1"');
    expect(errors[0]?.message).toContain('3 messages');
    expect(handled).toEqual([0]);
    expect(subscription.detachCalls).toBe(1);
    await subscription.unsubscribe();
    expect(errors).toHaveLength(1);
  });

  it('reports a failing broadcast handler and goes on; push refuses past the bound without ending', async () => {
    const errors: Error[] = [];
    const subscription = new TestSubscription(
      settings(
        (received) => {
          if (received.data === 1) throw new Error('boom');
        },
        {},
        (error) => errors.push(error),
      ),
    );
    expect(subscription.push(message(1))).toBe(true);
    expect(subscription.push(message(2))).toBe(true);
    expect(errors.map((error) => error.message)).toEqual(['boom']);
    expect(subscription.active).toBe(true);
    await subscription.unsubscribe();
    expect(subscription.push(message(3))).toBe(false);
  });

  it('unsubscribe gives up on a handler that never returns after closeTimeoutMs and ignores its late result; invoke callers stop waiting', async () => {
    const subscription = new TestSubscription(settings(() => new Promise<void>(() => {}), { closeTimeoutMs: 100 }));
    subscription.push(message(1));
    const invoked = subscription.invoke(message(2));
    const begun = Date.now();
    await subscription.unsubscribe();
    expect(Date.now() - begun).toBeGreaterThanOrEqual(90);
    expect(Date.now() - begun).toBeLessThan(1000);
    const result = await invoked;
    expect(isBusError(result) && result.reason).toBe('closed');
    expect(await subscription.invoke(message(3))).toBeInstanceOf(BusError);
    // Every call, the same promise, already settled.
    await subscription.unsubscribe();
    expect(subscription.detachCalls).toBe(1);
  });
});

describe('BusLifecycle', () => {
  it('closes once, is closed from the first call on, and bounds the wait for publishes and subscriptions', async () => {
    const lifecycle = new BusLifecycle('test', 100, silentLogger);
    expect(lifecycle.status(() => 'ready')).toBe('ready');
    void lifecycle.trackPublish(new Promise(() => {}));
    const subscription = lifecycle.adopt(new TestSubscription(settings(() => new Promise<void>(() => {}))));
    subscription.push(message(1));
    let closedInside = false;
    const begun = Date.now();
    const first = lifecycle.close(async () => {
      closedInside = lifecycle.closed;
      await lifecycle.settlePublishes();
      await lifecycle.endSubscriptions();
    });
    expect(lifecycle.close(async () => {})).toBe(first);
    await first;
    expect(Date.now() - begun).toBeLessThan(1000);
    expect(closedInside).toBe(true);
    expect(subscription.active).toBe(false);
    expect(lifecycle.status(() => 'ready')).toBe('closed');
    expect(() => lifecycle.assertOpen()).toThrow(/the test bus is closed/);
    expect(lifecycle.closedError().reason).toBe('closed');
  });
});
