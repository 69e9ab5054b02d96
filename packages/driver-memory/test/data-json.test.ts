import type { MessageBus, MessageHandler, SubscribeOptions } from '@app/core';
import { conformanceCases, DATA_JSON_CASE_TITLE, TestContext, type ConformanceTarget } from '@app/core/testing';
import { createMemoryBus } from '@app/driver-memory';
import { describe, expect, it } from 'vitest';

const FEATURES = ['orderedPerChannel', 'replay', 'groups'] as const;

/** A memory bus whose messages carry a dataJson that does not match their data. */
function lyingBus(): MessageBus {
  const bus = createMemoryBus();
  return {
    driver: bus.driver,
    features: bus.features,
    limits: bus.limits,
    status: () => bus.status(),
    close: () => bus.close(),
    publish: (channel, data, options) => bus.publish(channel, data, options),
    subscribe: <T>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions) =>
      bus.subscribe<T>(channel, (message) => handler({ ...message, dataJson: JSON.stringify({ not: message.data }) }), options),
  };
}

function target(setup: () => MessageBus): ConformanceTarget {
  return { name: 'memory', features: [...FEATURES], setup: async () => ({ bus: setup() }), timeoutMs: 2000 };
}

async function runDataJsonCase(bus: () => MessageBus): Promise<void> {
  const testCase = conformanceCases.find((candidate) => candidate.title === DATA_JSON_CASE_TITLE);
  if (testCase === undefined) throw new Error('the dataJson conformance case is missing');
  const context = new TestContext(target(bus), 2000, 10);
  try {
    await testCase.run(context, new Set(FEATURES));
  } finally {
    await context.dispose();
  }
}

describe('dataJson from the memory bus', () => {
  it('is set on live and replayed messages and decodes to data', async () => {
    const bus = createMemoryBus();
    const seen: { data: unknown; dataJson: string | undefined }[] = [];
    await bus.subscribe('game:1', (message) => {
      seen.push({ data: message.data, dataJson: message.dataJson });
    });
    const receipt = await bus.publish('game:1', { move: 'e4' });
    await bus.publish('game:1', [1, 'two']);
    await expect.poll(() => seen.length).toBe(2);
    const from = receipt.position ?? '';
    await bus.subscribe('game:1', (message) => {
      seen.push({ data: message.data, dataJson: message.dataJson });
    }, { from });
    await expect.poll(() => seen.length).toBe(3);
    expect(seen).toEqual([
      { data: { move: 'e4' }, dataJson: '{"move":"e4"}' },
      { data: [1, 'two'], dataJson: '[1,"two"]' },
      { data: [1, 'two'], dataJson: '[1,"two"]' },
    ]);
    await bus.close();
  });

  it('passes the conformance case, which fails a driver whose dataJson lies', async () => {
    await runDataJsonCase(() => createMemoryBus());
    await expect(runDataJsonCase(lyingBus)).rejects.toThrow(/must decode to data/);
  });
});
