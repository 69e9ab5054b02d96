import { fileURLToPath } from 'node:url';
import { conformanceCases, TestContext, type ConformanceTarget } from '@app/core/testing';
import type { BusFeature } from '@app/core';
import { describe, expect, it } from 'vitest';
import { createOneProcessBus, forgetEverything, type OneProcessBusArgs } from './fixtures/one-process-bus.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/one-process-bus.ts', import.meta.url));

function target(args: OneProcessBusArgs, remote = true, hooks: Partial<ConformanceTarget> = {}): ConformanceTarget {
  return {
    ...hooks,
    name: 'one-process',
    setup: async () => ({ bus: await createOneProcessBus(args) }),
    ...(remote ? { remote: { module: FIXTURE, export: 'createOneProcessBus', args: { ...args, features: [...(args.features ?? [])] } } } : {}),
  };
}

/** Runs the case titled like `title` against `args`'s bus; resolves to its failure, or undefined when it passed. */
async function runCase(title: RegExp, args: OneProcessBusArgs, remote = true, hooks: Partial<ConformanceTarget> = {}): Promise<Error | undefined> {
  const found = conformanceCases.filter((testCase) => title.test(testCase.title));
  expect(found, `one case matches ${String(title)}`).toHaveLength(1);
  const bus = await createOneProcessBus(args);
  const context = new TestContext(target(args, remote, hooks), 1500, 20);
  try {
    await found[0]!.run(context, bus.features);
    return undefined;
  } catch (error) {
    return error as Error;
  } finally {
    await context.dispose();
  }
}

const crossInstance = /^crossInstance: a subscriber in another process/;
const honest: BusFeature[] = ['orderedPerChannel', 'replay'];

describe('the conformance suite catches a driver that lies', () => {
  it('a bus shared in one process that claims crossInstance fails the cross-process case, naming the missing delivery', async () => {
    const failure = await runCase(crossInstance, { features: ['crossInstance', ...honest] });
    expect(failure?.message).toMatch(/waiting for 30 messages published in this process, at the subscriber in the other process; got 0/);
  }, 30_000);

  it('it also fails the cross-process replay case: a position of one process means nothing in the other', async () => {
    const failure = await runCase(/^crossInstance with replay/, { features: ['crossInstance', ...honest] });
    expect(failure?.message).toMatch(/messages replayed here from a position handed out in the other process; got 0|no such position/);
  }, 30_000);

  it('claiming crossInstance without a remote factory fails with a message saying so, not a skip', async () => {
    const failure = await runCase(crossInstance, { features: ['crossInstance', ...honest] }, false);
    expect(failure?.message).toMatch(/declares crossInstance but gives no `remote` factory/);
  });

  it('a bus that claims replay but ignores from fails the replay case', async () => {
    const failure = await runCase(/^replay from a position delivers/, { features: honest, lie: 'ignoresFrom' });
    expect(failure?.message).toMatch(/waiting for 3 messages; got 0/);
  });

  it('a bus that claims orderedPerChannel but reorders fails the ordering case', async () => {
    const failure = await runCase(/^order per channel holds/, { features: honest, lie: 'reorders' });
    expect(failure?.message).toMatch(/publisher \d's messages in publish order/);
  });

  it('a bus that accepts a position beyond its newest message fails the ahead case', async () => {
    const failure = await runCase(/^replay from a well-formed position beyond/, { features: honest, lie: 'acceptsAhead' });
    expect(failure?.message).toMatch(/expected a BusError with reason "invalid_position"/);
  });

  it('a truncateHistory hook that trims nothing (a replay reported exact) fails the truncated case', async () => {
    const failure = await runCase(/^replay from a position older/, { features: honest }, false, { truncateHistory: async () => {} });
    expect(failure?.message).toMatch(/the replay is truncated/);
  });

  it('claiming persistent without a restartBackend hook fails; a restart that loses history fails too', async () => {
    const claims: OneProcessBusArgs = { features: ['persistent', ...honest] };
    expect((await runCase(/^persistent:/, claims, false))?.message).toMatch(/declares persistent but gives no restartBackend hook/);
    const failure = await runCase(/^persistent:/, claims, false, { restartBackend: async () => forgetEverything() });
    expect(failure?.message).toMatch(/invalid_position|no such position|still there after it/);
    expect(await runCase(/^persistent:/, claims, false, { restartBackend: async () => {} }), 'a restart that keeps history passes').toBeUndefined();
  });

  it('cut hooks that leave the bus "ready" fail the cut-connection case', async () => {
    const failure = await runCase(/^a cut connection/, { features: honest }, false, { cutConnection: async () => {}, restoreConnection: async () => {} });
    expect(failure?.message).toMatch(/waiting for status to leave "ready"/);
  });

  it('a bus that keeps ephemeral messages from live subscribers fails the ephemeral live case', async () => {
    const failure = await runCase(/^ephemeral publishes between stored ones/, { features: honest, lie: 'dropsEphemeral' });
    expect(failure?.message).toMatch(/messages, ephemeral and stored, delivered live; got 5/);
  });

  it('the same bus, honest about what it lacks, passes those cases (so the failures above are the lies)', async () => {
    for (const title of [/^replay from a position delivers/, /^order per channel holds/, /^replay from a well-formed position beyond/, /^fan-out/, /^ephemeral publishes/, /^replay across ephemeral/]) {
      expect(await runCase(title, { features: honest }, false), String(title)).toBeUndefined();
    }
  });
});
