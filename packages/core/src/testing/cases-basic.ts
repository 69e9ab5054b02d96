import { expect } from 'vitest';
import { isBusError } from '../errors.js';
import { ALL_FEATURES } from '../features.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBusError } from './expect-bus-error.js';
import { Inbox, settle } from './harness.js';

/** Title of the `dataJson` case, for tests that run it against a deliberately wrong driver. */
export const DATA_JSON_CASE_TITLE = 'dataJson, when a driver sets it, is JSON whose value equals data (live and replayed)';

export const basicCases: readonly ConformanceCase[] = [
  {
    title: 'reports known features (the same on every bus of the target), a payload limit and status "ready"',
    async run(t, features) {
      const bus = await t.bus();
      expect([...bus.features].sort(), 'the features every bus of the target declares').toEqual([...features].sort());
      for (const feature of bus.features) expect(ALL_FEATURES, `"${feature}" is a feature of the contract`).toContain(feature);
      expect(bus.limits.maxPayloadBytes).toBeGreaterThan(0);
      expect(bus.status()).toBe('ready');
      expect(typeof bus.driver).toBe('string');
    },
  },
  {
    title: 'round trip keeps data, headers and metadata intact',
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('round-trip');
      const inbox = new Inbox();
      await bus.subscribe(channel, inbox.handler);
      const data = { text: 'héllo ✓ 🎮', n: 42, f: -1.5, nested: { list: [1, 'two', null, true] }, empty: {} };
      const headers = { 'x-trace': 'abc-123', 'x-empty': '' };
      const before = Date.now();
      const receipt = await bus.publish(channel, data, { headers });
      const withId = await bus.publish(channel, 'second', { id: 'my-id-1' });
      const [first, second] = await inbox.waitFor(2, t.timeoutMs);
      expect(first?.data).toEqual(data);
      expect(first?.headers).toMatchObject(headers);
      expect(first?.id).toBe(receipt.id);
      expect(first?.channel).toBe(channel);
      expect(first?.attempt).toBe(1);
      expect(typeof first?.position).toBe('string');
      expect(first?.position.length).toBeGreaterThan(0);
      if (receipt.position !== undefined) expect(first?.position).toBe(receipt.position);
      // Clocks of a broker and this process may differ a little; a minute is far beyond that.
      expect(Math.abs((first?.timestamp ?? 0) - before)).toBeLessThan(60_000);
      expect(second?.id).toBe('my-id-1');
      expect(withId.id).toBe('my-id-1');
      expect(second?.position).not.toBe(first?.position);
    },
  },
  {
    title: 'every kind of JSON value round-trips',
    async run(t, features) {
      const bus = await t.bus();
      const channel = t.channel('json');
      const inbox = new Inbox();
      await bus.subscribe(channel, inbox.handler);
      const values: unknown[] = [null, 0, -1.25, 'text', '', true, false, [], [1, [2, [3]]], { a: { b: null } }];
      for (const value of values) await bus.publish(channel, value);
      await inbox.waitFor(values.length, t.timeoutMs);
      if (features.has('orderedPerChannel')) expect(inbox.data).toEqual(values);
      else expect(inbox.data).toEqual(expect.arrayContaining(values));
    },
  },
  {
    title: 'channels do not cross, not even when one name is a prefix of another',
    async run(t) {
      const bus = await t.bus();
      const base = t.channel('room');
      const names = [base, `${base}:1`, `${base}:10`, `${base}0`];
      const inboxes = names.map(() => new Inbox());
      for (const [index, name] of names.entries()) await bus.subscribe(name, (inboxes[index] as Inbox).handler);
      for (const name of names) await bus.publish(name, `to ${name}`);
      for (const inbox of inboxes) await inbox.waitFor(1, t.timeoutMs);
      await settle(300);
      names.forEach((name, index) => expect(inboxes[index]?.data).toEqual([`to ${name}`]));
    },
  },
  {
    title: 'rejects invalid channels, data and headers with typed errors, and keeps working',
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('valid');
      const inbox = new Inbox();
      for (const bad of ['', 'has space', 'a::b', ':lead', 'trail:', 'bad/slash', 'x'.repeat(201), '-dash-first']) {
        await expectBusError(() => bus.publish(bad, 1), 'invalid_channel');
        await expectBusError(() => bus.subscribe(bad, inbox.handler), 'invalid_channel');
      }
      await expectBusError(() => bus.publish(channel, 10n), 'invalid_data');
      const circular: Record<string, unknown> = {};
      circular['self'] = circular;
      await expectBusError(() => bus.publish(channel, circular), 'invalid_data');
      await expectBusError(() => bus.publish(channel, undefined), 'invalid_data');
      await expectBusError(() => bus.publish(channel, () => 1), 'invalid_data');
      const badHeaders = { n: 1 } as unknown as Record<string, string>;
      await expectBusError(() => bus.publish(channel, 1, { headers: badHeaders }), 'invalid_headers');
      await expectBusError(() => bus.subscribe(channel, inbox.handler, { maxAttempts: 0 }), 'invalid_options');
      await bus.subscribe(channel, inbox.handler);
      await bus.publish(channel, 'still works');
      await inbox.waitFor(1, t.timeoutMs);
      expect(inbox.data).toEqual(['still works']);
      expect(bus.status()).toBe('ready');
    },
  },
  {
    title: 'a message of exactly the maximum size is delivered; one byte more is rejected',
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('size');
      const inbox = new Inbox<string>();
      await bus.subscribe(channel, inbox.handler);
      const max = bus.limits.maxPayloadBytes;
      // A JSON string of n ASCII characters encodes to n + 2 bytes (the quotes).
      const largest = 'x'.repeat(max - 2);
      const error = await bus.publish(channel, `${largest}y`).catch((caught: unknown) => caught);
      expect(isBusError(error) && error.reason === 'payload_too_large', `expected payload_too_large, got ${String(error)}`).toBe(true);
      await bus.publish(channel, largest);
      const [message] = await inbox.waitFor(1, t.timeoutMs);
      expect(message?.data.length).toBe(largest.length);
      expect(message?.data === largest).toBe(true);
    },
  },
  {
    title: DATA_JSON_CASE_TITLE,
    async run(t, features) {
      const bus = await t.bus();
      const channel = t.channel('data-json');
      const inbox = new Inbox();
      await bus.subscribe(channel, inbox.handler);
      const values: unknown[] = [null, 0, -1.25, 'te"xt\\ ✓ 🎮', true, [], [1, [2, { a: null }]], { nested: { list: [1, 'two'] }, empty: {} }];
      let first: string | undefined;
      for (const value of values) {
        const receipt = await bus.publish(channel, value);
        first ??= receipt.position;
      }
      const received = [...(await inbox.waitFor(values.length, t.timeoutMs))];
      if (features.has('replay')) {
        // Replayed messages come from the bus's storage, a different path from live delivery.
        const replay = new Inbox();
        const from = first ?? received[0]?.position ?? '';
        await bus.subscribe(channel, replay.handler, { from });
        received.push(...(await replay.waitFor(values.length - 1, t.timeoutMs, 'replayed messages')));
      }
      for (const message of received) {
        if (message.dataJson === undefined) continue;
        expect(typeof message.dataJson, 'dataJson must be a string').toBe('string');
        expect(JSON.parse(message.dataJson) as unknown, `dataJson ${message.dataJson.slice(0, 80)} must decode to data`).toEqual(message.data);
      }
    },
  },
];
