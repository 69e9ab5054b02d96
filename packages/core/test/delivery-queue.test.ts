import { describe, expect, it } from 'vitest';
import { DeliveryQueue } from '@app/core';

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
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: number[] = [];
    const queue = new DeliveryQueue<number>(async (item) => {
      seen.push(item);
      await gate;
    }, 2);
    expect(queue.push(1)).toBe(true);
    expect(queue.push(2)).toBe(true);
    expect(queue.push(3)).toBe(true);
    expect(queue.push(4)).toBe(false);
    const stopping = queue.stop();
    expect(queue.push(5)).toBe(false);
    release();
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
});
