import { isBusError, type BusStatus, type MessageBus } from '@app/core';
import { Inbox } from '@app/core/testing';
import { createKafkaBus } from '@app/driver-kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { startDedicatedBroker, type DedicatedBroker } from './harness/dedicated-broker.js';

let broker: DedicatedBroker | undefined;
let bus: MessageBus | undefined;

afterAll(async () => {
  await bus?.close();
  await broker?.destroy();
});

/** Polls until the bus reports `wanted`; throws naming the status it had instead. */
async function statusBecomes(target: MessageBus, wanted: BusStatus, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (target.status() !== wanted) {
    if (Date.now() > deadline) throw new Error(`status stayed "${target.status()}" for ${timeoutMs} ms; expected "${wanted}"`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Publishes, retrying retryable failures (leaders are being elected right after a restart). */
async function publishEventually(target: MessageBus, channel: string, data: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await target.publish(channel, data);
      return;
    } catch (error) {
      if (!isBusError(error) || !error.isRetryable || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe('broker restart', () => {
  it('goes "reconnecting" while the broker is down, "ready" after, and loses no acknowledged message', { timeout: 240_000 }, async () => {
    broker = await startDedicatedBroker();
    bus = await createKafkaBus({ brokers: [broker.address], healthCheckIntervalMs: 300, publishTimeoutMs: 5000, connectionTimeoutMs: 1000, partitions: 2 });
    const inbox = new Inbox<number>();
    await bus.subscribe('restart:a', inbox.handler);
    for (let index = 0; index < 10; index += 1) await bus.publish('restart:a', index);
    await inbox.waitFor(10, 20_000);

    await broker.stop();
    await statusBecomes(bus, 'reconnecting', 30_000);
    const during = await bus.publish('restart:a', -1).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isBusError(during) && during.isRetryable, `a publish while the broker is down fails retryably, got ${String(during)}`).toBe(true);

    await broker.start();
    await statusBecomes(bus, 'ready', 60_000);
    for (let index = 10; index < 20; index += 1) await publishEventually(bus, 'restart:a', index, 60_000);
    await inbox.waitFor(20, 60_000, 'messages acknowledged before and after the restart');
    expect(inbox.data).toEqual(Array.from({ length: 20 }, (_, index) => index));
  });
});
