import { describe, expect, it } from 'vitest';
import { DeliveryQueue } from '@app/core';
import { blockingGate } from '@app/core/testing';

describe('DeliveryQueue', () => {
  it('consumes one item at a time in order', async () => {
    const seen: number[] = [];
    let running = 0;
    let most = 0;
    const queue = new DeliveryQueue<number>(async (item) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(item);
      running -= 1;
    }, 100);
    for (let index = 0; index < 20; index += 1) expect(queue.push(index)).toBe(true);
    await queue.drained();
    expect(seen).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect(most).toBe(1);
  });

  it('refuses items past its limit and after stop', async () => {
    const gate = blockingGate();
    const seen: number[] = [];
    const queue = new DeliveryQueue<number>(async (item) => {
      seen.push(item);
      await gate.wait;
    }, 2);
    expect(queue.push(1)).toBe(true);
    expect(queue.push(2)).toBe(true);
    expect(queue.push(3)).toBe(true);
    expect(queue.push(4)).toBe(false);
    const stopping = queue.stop();
    expect(queue.push(5)).toBe(false);
    gate.release();
    await stopping;
    expect(seen).toEqual([1]);
  });

  it('keeps going after a consumer that throws is caught by the caller', async () => {
    const seen: number[] = [];
    const queue = new DeliveryQueue<number>(async (item) => {
      seen.push(item);
    }, 10);
    queue.push(1);
    await queue.drained();
    queue.push(2);
    await queue.drained();
    expect(seen).toEqual([1, 2]);
  });

  it('runs a synchronous consumer without overlap, also when it pushes from inside, and then drains', async () => {
    const seen: number[] = [];
    let running = 0;
    let most = 0;
    const queue: DeliveryQueue<number> = new DeliveryQueue<number>((item) => {
      running += 1;
      most = Math.max(most, running);
      seen.push(item);
      if (item < 10) queue.push(item + 10);
      running -= 1;
    }, 100);
    queue.push(1);
    queue.push(2);
    await queue.drained();
    expect(seen).toEqual([1, 11, 2, 12]);
    expect(most).toBe(1);
    expect(queue.size).toBe(0);
    queue.push(3);
    await queue.drained();
    expect(seen).toEqual([1, 11, 2, 12, 3, 13]);
  });

  it('keeps going after a consumer that throws synchronously, and reports it', async () => {
    const seen: number[] = [];
    const failures: { error: unknown; item: number }[] = [];
    const queue: DeliveryQueue<number> = new DeliveryQueue<number>(
      (item) => {
        if (item === 1) {
          // Pushed while the failing item runs: it must not be dropped with it.
          queue.push(3);
          throw new Error('consumer failed on purpose');
        }
        seen.push(item);
      },
      10,
      (error, item) => failures.push({ error, item }),
    );
    expect(queue.push(1)).toBe(true);
    expect(queue.push(2)).toBe(true);
    await queue.drained();
    await queue.stop();
    expect(seen).toEqual([3, 2]);
    expect(failures.map(({ item }) => item)).toEqual([1]);
    expect(String(failures[0]?.error)).toContain('on purpose');
  });

  it('keeps going after a consumer whose promise rejects, behind a slow item, and stop resolves', async () => {
    const seen: number[] = [];
    const failures: number[] = [];
    const queue = new DeliveryQueue<number>(
      async (item) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (item === 2) throw new Error('rejected on purpose');
        seen.push(item);
      },
      10,
      (_error, item) => failures.push(item),
    );
    for (const item of [1, 2, 3]) queue.push(item);
    await queue.drained();
    expect(seen).toEqual([1, 3]);
    expect(failures).toEqual([2]);
    queue.push(4);
    await expect(queue.stop()).resolves.toBeUndefined();
  });

  it('without a callback, a failure is a process warning, not an unhandled rejection', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const queue = new DeliveryQueue<number>((item) => {
        if (item === 1) throw new Error('thrown on purpose');
      }, 10);
      queue.push(1);
      queue.push(2);
      await queue.drained();
      await queue.drainedWithin(1000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => warning.message).join('\n')).toContain('thrown on purpose');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('drainedWithin clears its timer whether the queue drains or not', async () => {
    const cleared: unknown[] = [];
    const realClear = globalThis.clearTimeout;
    const stuck = new DeliveryQueue<number>(() => new Promise<void>(() => undefined), 10);
    stuck.push(1);
    const failing = new DeliveryQueue<number>(
      () => new Promise<void>((_resolve, reject) => setTimeout(() => reject(new Error('rejected on purpose')), 1)),
      10,
      () => undefined,
    );
    failing.push(1);
    globalThis.clearTimeout = ((timer: NodeJS.Timeout) => {
      cleared.push(timer);
      realClear(timer);
    }) as typeof clearTimeout;
    try {
      await stuck.drainedWithin(5);
      expect(cleared).toHaveLength(1);
      await failing.drainedWithin(1000);
      expect(cleared).toHaveLength(2);
    } finally {
      globalThis.clearTimeout = realClear;
    }
  });
});
