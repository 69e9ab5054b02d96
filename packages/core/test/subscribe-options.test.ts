import type { BusFeature } from '@app/core';
import { resolveSubscribeOptions } from '@app/core/driver';
import { expectBusError } from '@app/core/testing';
import { describe, expect, it } from 'vitest';

const handler = (): void => {};
const groupsOnly: ReadonlySet<BusFeature> = new Set(['groups']);
const groupsAndReplay: ReadonlySet<BusFeature> = new Set(['groups', 'replay']);

describe('resolveSubscribeOptions', () => {
  it('refuses from with group mode as invalid_options on every driver, with or without replay', async () => {
    for (const features of [groupsOnly, groupsAndReplay]) {
      const error = await expectBusError(async () => resolveSubscribeOptions('jobs:1', handler, { mode: 'group', group: 'g', from: 'p' }, features), 'invalid_options');
      expect(error.message).toContain('mode "group"');
    }
  });

  it('still refuses from on a broadcast subscription without the replay feature as unsupported', async () => {
    await expectBusError(async () => resolveSubscribeOptions('jobs:1', handler, { from: 'p' }, groupsOnly), 'unsupported');
    expect(resolveSubscribeOptions('jobs:1', handler, { from: 'p' }, groupsAndReplay)).toMatchObject({ mode: 'broadcast', from: 'p' });
  });
});
