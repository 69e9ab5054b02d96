import { BusError, silentLogger, type Message, type Subscription } from '@app/core';
import { Inbox, blockingGate, expectBusError } from '@app/core/testing';
import { createMemoryBus, driver } from '@app/driver-memory';
import { describe, expect, it, vi } from 'vitest';

describe('memory bus history', () => {
  it('replays within the per-channel history and reports truncation past it', async () => {
    const bus = createMemoryBus({ historyPerChannel: 3 });
    const live = new Inbox<number>();
    await bus.subscribe('game:1', live.handler);
    for (let index = 0; index < 6; index += 1) await bus.publish('game:1', index);
    const seen = await live.waitFor(6, 2000);

    const recent = new Inbox<number>();
    const exact = await bus.subscribe('game:1', recent.handler, { from: seen[3]!.position });
    expect(exact.replay).toBe('exact');
    await recent.waitFor(2, 2000);
    expect(recent.data).toEqual([4, 5]);

    // Messages 0..2 were evicted: starting after 0 would need 1 and 2.
    const old = new Inbox<number>();
    const truncated = await bus.subscribe('game:1', old.handler, { from: seen[0]!.position });
    expect(truncated.replay).toBe('truncated');
    await old.waitFor(3, 2000);
    expect(old.data).toEqual([3, 4, 5]);
    await bus.close();
  });

  it('evicts the oldest messages across channels at the total limit', async () => {
    const bus = createMemoryBus({ historyPerChannel: 100, historyTotal: 3 });
    const positions: string[] = [];
    for (const channel of ['a:1', 'b:1', 'a:1', 'b:1', 'a:1', 'b:1']) {
      positions.push((await bus.publish(channel, channel)).position ?? '');
    }
    // a:1 got publishes 0, 2 and 4; 0, 1 and 2 are evicted, so replay after 0 misses 2.
    const fromFirst = new Inbox();
    expect((await bus.subscribe('a:1', fromFirst.handler, { from: positions[0]! })).replay).toBe('truncated');
    const fromSecond = new Inbox();
    expect((await bus.subscribe('a:1', fromSecond.handler, { from: positions[2]! })).replay).toBe('exact');
    await fromSecond.waitFor(1, 2000);
    expect(fromSecond.data).toEqual(['a:1']);
    expect(fromSecond.messages[0]?.position).toBe(positions[4]);
    await bus.close();
  });

  it('forgets channels whose history is gone but still reports truncation for them', async () => {
    const bus = createMemoryBus({ historyPerChannel: 10, historyTotal: 2 });
    const first = await bus.publish('gone:1', 'x');
    await bus.publish('gone:1', 'y');
    await bus.publish('other:1', 1);
    await bus.publish('other:1', 2);
    const inbox = new Inbox();
    const subscription = await bus.subscribe('gone:1', inbox.handler, { from: first.position! });
    expect(subscription.replay).toBe('truncated');
    await bus.close();
  });

  it('treats a position from another bus instance as truncated, and a future one as invalid', async () => {
    const earlier = createMemoryBus();
    const old = await earlier.publish('game:1', 'old');
    await earlier.close();
    const bus = createMemoryBus();
    await bus.publish('game:1', 'kept');
    const inbox = new Inbox();
    const subscription = await bus.subscribe('game:1', inbox.handler, { from: old.position! });
    expect(subscription.replay).toBe('truncated');
    await inbox.waitFor(1, 2000);
    expect(inbox.data).toEqual(['kept']);
    const current = await bus.publish('game:1', 'now');
    const ahead = current.position!.replace(/-(\d+)$/, (_, seq: string) => `-${Number(seq) + 100}`);
    await expectBusError(() => bus.subscribe('game:1', inbox.handler, { from: ahead }), 'invalid_position');
    await bus.close();
  });
});

describe('memory bus groups', () => {
  it('a member that unsubscribes hands the messages it had not finished (queued, or abandoned mid-handler) to the rest of the group', async () => {
    const bus = createMemoryBus({ closeTimeoutMs: 100 });
    const stuck: unknown[] = [];
    const healthy = new Inbox();
    const leaving = await bus.subscribe(
      'jobs:leave',
      (message) => {
        stuck.push(message.data);
        return new Promise<void>(() => {});
      },
      { mode: 'group', group: 'workers' },
    );
    await bus.subscribe('jobs:leave', healthy.handler, { mode: 'group', group: 'workers' });
    for (let index = 0; index < 6; index += 1) await bus.publish('jobs:leave', index);
    // Turn by turn: the stuck member took 0 (running), 2 and 4 (queued behind it).
    expect(stuck).toEqual([0]);
    await leaving.unsubscribe();
    await healthy.waitFor(6, 2000);
    expect([...healthy.data].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    await bus.close();
  });
});

describe('memory bus limits', () => {
  it('a dead letter is kept for a full group on the dead-letter channel, not refused and lost', async () => {
    const bus = createMemoryBus({ maxPendingPerSubscription: 1, redeliveryDelayMs: 0 });
    const gate = blockingGate();
    const dead: unknown[] = [];
    await bus.subscribe(
      'dlq:jobs:poison',
      async (message) => {
        dead.push(message.data);
        await gate.wait;
      },
      { mode: 'group', group: 'janitors' },
    );
    // One running, one queued, one waiting for the group: at the bound, a publish is refused.
    for (let index = 0; index < 3; index += 1) await bus.publish('dlq:jobs:poison', index);
    await expectBusError(() => bus.publish('dlq:jobs:poison', 'refused'), 'overloaded');
    const failing = () => {
      throw new Error('poison');
    };
    await bus.subscribe('jobs:poison', failing, { mode: 'group', group: 'workers', maxAttempts: 1, onError: () => {} });
    await bus.publish('jobs:poison', 'poison');
    gate.release();
    await vi.waitFor(() => expect(dead).toEqual([0, 1, 2, 'poison']));
    await bus.close();
  });

  it('holds group messages no member can take and refuses publishes with a retryable overloaded at the bound, losing nothing', async () => {
    const bus = createMemoryBus({ maxPendingPerSubscription: 2 });
    const gate = blockingGate();
    const handled: unknown[] = [];
    const errors: Error[] = [];
    const member = async (message: Message): Promise<void> => {
      handled.push(message.data);
      await gate.wait;
    };
    await bus.subscribe('jobs:slow', member, { mode: 'group', group: 'workers', onError: (error) => errors.push(error) });
    // One running, two in the member's queue, two waiting for the group: the bound (2) is reached.
    for (let index = 0; index < 5; index += 1) await bus.publish('jobs:slow', index);
    const refused = await expectBusError(() => bus.publish('jobs:slow', 5), 'overloaded');
    expect(refused).toMatchObject({ isRetryable: true });
    expect(refused.message).toContain('"workers"');
    // Other channels are not held up.
    await bus.publish('jobs:other', 'fine');
    gate.release();
    await vi.waitFor(() => expect(handled).toEqual([0, 1, 2, 3, 4]));
    await bus.publish('jobs:slow', 6);
    await vi.waitFor(() => expect(handled).toEqual([0, 1, 2, 3, 4, 6]));
    expect(errors).toEqual([]);
    await bus.close();
  });

  it('ends a broadcast subscriber that falls too far behind with one position_expired, and from its last position it resumes with no gap', async () => {
    const bus = createMemoryBus({ maxPendingPerSubscription: 5 });
    const gate = blockingGate();
    const errors: Error[] = [];
    const handled: Message[] = [];
    const slow = await bus.subscribe(
      'slow:1',
      async (message: Message) => {
        handled.push(message);
        await gate.wait;
      },
      { onError: (error) => errors.push(error) },
    );
    const fast = new Inbox();
    await bus.subscribe('slow:1', fast.handler);
    for (let index = 0; index < 10; index += 1) await bus.publish('slow:1', index);
    await fast.waitFor(10, 2000);
    // One is running, five waited, the sixth did not fit: ended, reported once the running handler returned.
    expect(errors).toEqual([]);
    gate.release();
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toBeInstanceOf(BusError);
    expect((errors[0] as BusError).reason).toBe('position_expired');
    expect((errors[0] as BusError).isRetryable).toBe(true);
    expect(errors[0]?.message).toContain('"slow:1"');
    expect(errors[0]?.message).toContain('5 messages');
    expect(handled.map((message) => message.data)).toEqual([0]);
    await slow.unsubscribe();
    const rest = new Inbox();
    await bus.subscribe('slow:1', rest.handler, { from: handled.at(-1)!.position });
    await rest.waitFor(9, 2000);
    expect(rest.data).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await bus.close();
    expect(errors).toHaveLength(1);
  });

  it('close and unsubscribe give up on a handler that never returns after closeTimeoutMs', async () => {
    const bus = createMemoryBus({ closeTimeoutMs: 200 });
    const started: unknown[] = [];
    const stuck = await bus.subscribe('stuck:1', async (message: Message) => {
      started.push(message.data);
      await new Promise(() => {});
    });
    const group = await bus.subscribe('stuck:1', () => new Promise<void>(() => {}), { mode: 'group', group: 'g' });
    await bus.publish('stuck:1', 'a');
    await bus.publish('stuck:1', 'b');
    await vi.waitFor(() => expect(started).toEqual(['a']));
    let begun = Date.now();
    await group.unsubscribe();
    expect(Date.now() - begun).toBeLessThan(2000);
    expect(Date.now() - begun).toBeGreaterThanOrEqual(150);
    begun = Date.now();
    await bus.close();
    expect(Date.now() - begun).toBeLessThan(2000);
    expect(started).toEqual(['a']);
    await stuck.unsubscribe();
  });

  it('rejects bad factory options with a BusError invalid_options and a clear message, as every factory does', async () => {
    expect(() => createMemoryBus({ historyPerChannel: -1 })).toThrow(/historyPerChannel must be a whole number/);
    const error = await expectBusError(async () => createMemoryBus({ maxPayloadBytes: 1.5 }), 'invalid_options');
    expect(error.message).toContain('maxPayloadBytes');
    expect(error).toBeInstanceOf(BusError);
    // Not the TypeError of reading a field of null.
    await expectBusError(async () => createMemoryBus(null as never), 'invalid_options');
    // A logger that is no logger fails here, not later with a TypeError mid delivery.
    const badLogger = await expectBusError(async () => createMemoryBus({ logger: 'console' as never }), 'invalid_options');
    expect(badLogger.message).toContain('createMemoryBus: logger must be an object');
  });
});

describe('memory driver from the environment', () => {
  it('reads its settings', async () => {
    const bus = await driver.create({ MEMORY_MAX_PAYLOAD_BYTES: '2048' }, { logger: silentLogger });
    expect(bus.limits.maxPayloadBytes).toBe(2048);
    expect(bus.driver).toBe('memory');
    await bus.close();
  });

  it('names the variable of a bad value', () => {
    let caught: unknown;
    try {
      driver.create({ MEMORY_HISTORY_TOTAL: 'lots' }, { logger: silentLogger });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BusError);
    expect((caught as BusError).reason).toBe('config');
    expect((caught as BusError).message).toContain('MEMORY_HISTORY_TOTAL');
  });
});

describe('memory bus reentrant publishes', () => {
  it('a handler publishing twice, and its reply publishing again, keeps one order for all', async () => {
    const bus = createMemoryBus();
    const seen: string[][] = [[], [], []];
    await bus.subscribe('game:1', (message: Message<string>) => {
      seen[0]!.push(message.data);
      if (message.data === 'm1') {
        void bus.publish('game:1', 'm2');
        void bus.publish('game:1', 'm3');
      }
      if (message.data === 'm2') void bus.publish('game:1', 'm4');
    });
    await bus.subscribe('game:1', (message: Message<string>) => void seen[1]!.push(message.data));
    await bus.subscribe('game:1', (message: Message<string>) => void seen[2]!.push(message.data));
    await bus.publish('game:1', 'm1');
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (const inbox of seen) expect(inbox).toEqual(['m1', 'm2', 'm3', 'm4']);
    await bus.close();
  });

  it('a handler that subscribes from its message position gets a queued reply once', async () => {
    const bus = createMemoryBus();
    const late = new Inbox<string>();
    let subscribing: Promise<unknown> | undefined;
    await bus.subscribe('game:1', (message: Message<string>) => {
      if (message.data !== 'm1') return;
      void bus.publish('game:1', 'm2');
      subscribing = bus.subscribe('game:1', late.handler, { from: message.position });
    });
    await bus.publish('game:1', 'm1');
    await subscribing;
    await late.waitFor(1, 2000);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(late.data).toEqual(['m2']);
    await bus.close();
  });
});

describe('memory bus startPosition', () => {
  it('of a live subscription made from a handler mid fan-out stands before a reply still waiting to be fanned out', async () => {
    const bus = createMemoryBus();
    const late = new Inbox<string>();
    let subscribing: Promise<Subscription> | undefined;
    await bus.subscribe('game:1', (message: Message<string>) => {
      if (message.data !== 'm1') return;
      // m2 has its sequence number now but is fanned out after m1: the late subscription gets it live.
      void bus.publish('game:1', 'm2');
      subscribing = bus.subscribe('game:1', late.handler);
    });
    await bus.publish('game:1', 'm1');
    const subscription = await (subscribing as Promise<Subscription>);
    await late.waitFor(1, 2000);
    const replay = new Inbox<string>();
    await bus.subscribe('game:1', replay.handler, { from: subscription.startPosition ?? '' });
    await replay.waitFor(1, 2000);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(late.data).toEqual(['m2']);
    expect(replay.data, 'from startPosition: exactly what the late subscription got').toEqual(['m2']);
    await bus.close();
  });

  it('is a position before everything on a fresh bus, and the given one (canonical) for a from subscription', async () => {
    const bus = createMemoryBus();
    const live = await bus.subscribe('game:1', () => {});
    expect(live.startPosition).toMatch(/^[0-9a-f]{8}-0$/);
    const first = await bus.publish('game:1', 'x');
    const [epoch, seq] = (first.position ?? '').split('-');
    const replaying = await bus.subscribe('game:1', () => {}, { from: `${epoch}-00${seq}` });
    expect(replaying.startPosition).toBe(first.position);
    await bus.close();
  });
});

describe('memory bus broadcast subscribers', () => {
  it('goes from one subscription to several and back, also when a handler unsubscribes another mid fan-out', async () => {
    const bus = createMemoryBus();
    const seen: string[][] = [[], [], []];
    const subscriptions = await Promise.all(
      [0, 1, 2].map((index) =>
        bus.subscribe('game:1', (message: Message<string>) => {
          seen[index]!.push(message.data);
          if (index === 0 && message.data === 'drop-2') void subscriptions[2]!.unsubscribe();
        }),
      ),
    );
    await bus.publish('game:1', 'all');
    await bus.publish('game:1', 'drop-2');
    await subscriptions[1]!.unsubscribe();
    await bus.publish('game:1', 'only-0');
    await subscriptions[0]!.unsubscribe();
    await bus.publish('game:1', 'nobody');
    const late = new Inbox<string>();
    await bus.subscribe('game:1', late.handler);
    await bus.publish('game:1', 'late');
    await late.waitFor(1, 2000);
    expect(seen).toEqual([['all', 'drop-2', 'only-0'], ['all', 'drop-2'], ['all']]);
    expect(late.data).toEqual(['late']);
    await bus.close();
  });
});
