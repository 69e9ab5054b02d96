import { afterEach, describe, expect, it, vi } from 'vitest';
import { BusError, lazyMessage } from '@app/core';

const fields = { id: 'm1', channel: 'game:1', headers: { h: 'v' }, timestamp: 1767225600000, position: 'p-1', attempt: 1 };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('lazyMessage', () => {
  it('decodes data from dataJson on the first read only, and caches it', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const message = lazyMessage({ ...fields, dataJson: '{"move":"e4","n":[1,null]}' });
    expect(parse).not.toHaveBeenCalled();
    const first = message.data;
    expect(first).toEqual({ move: 'e4', n: [1, null] });
    expect(message.data).toBe(first);
    expect(parse).toHaveBeenCalledTimes(1);
    expect(message.dataJson).toBe('{"move":"e4","n":[1,null]}');
  });

  it('behaves like a plain message when spread, serialized or compared', () => {
    const message = lazyMessage({ ...fields, dataJson: '[1,"two"]' });
    const plain = { ...fields, data: [1, 'two'], dataJson: '[1,"two"]' };
    expect({ ...message, attempt: 2 }).toEqual({ ...plain, attempt: 2 });
    expect(JSON.parse(JSON.stringify(message))).toEqual(plain);
    expect(message).toEqual(plain);
    expect(Object.keys(message).sort()).toEqual(Object.keys(plain).sort());
  });

  it('shares one getter across messages (no closure per message) and lists keys in a plain message\'s order', () => {
    const a = lazyMessage({ ...fields, dataJson: '1' });
    const b = lazyMessage({ ...fields, dataJson: '2' });
    const getter = (message: object) => Object.getOwnPropertyDescriptor(message, 'data')?.get;
    expect(getter(a)).toBeTypeOf('function');
    expect(getter(a)).toBe(getter(b));
    expect([a.data, b.data]).toEqual([1, 2]);
    expect(Object.keys(a)).toEqual(['id', 'channel', 'data', 'dataJson', 'headers', 'timestamp', 'position', 'attempt']);
  });

  it('keeps falsy JSON values such as null, 0 and "" (decoded once, not re-read as unset)', () => {
    for (const [text, value] of [['null', null], ['0', 0], ['""', ''], ['false', false]] as const) {
      const parse = vi.spyOn(JSON, 'parse');
      const message = lazyMessage({ ...fields, dataJson: text });
      expect(message.data).toBe(value);
      expect(message.data).toBe(value);
      expect(parse).toHaveBeenCalledTimes(1);
      vi.restoreAllMocks();
    }
  });

  it('reports text that is not JSON as invalid_data when data is read', () => {
    const message = lazyMessage({ ...fields, dataJson: '{not json' });
    expect(message.id).toBe('m1');
    expect(() => message.data).toThrow(BusError);
    try {
      void message.data;
    } catch (error) {
      expect(error instanceof BusError && error.reason).toBe('invalid_data');
    }
  });
});
