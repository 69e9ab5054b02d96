import { describe, expect, it } from 'vitest';
import { BusError, decodeData, encodeData, preparePublish } from '@app/core';

const limits = { maxPayloadBytes: 100 };

function reasonOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof BusError ? error.reason : `not a BusError: ${String(error)}`;
  }
  return undefined;
}

describe('preparePublish', () => {
  it('encodes data as JSON, copies headers and gives a fresh id', () => {
    const prepared = preparePublish('game:1', { a: [1, 'é'] }, { headers: { k: 'v' } }, limits);
    expect(prepared.payload).toBe('{"a":[1,"é"]}');
    expect(prepared.headers).toEqual({ k: 'v' });
    expect(prepared.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(prepared.size).toBe(Buffer.byteLength(prepared.payload) + 2);
    expect(preparePublish('game:1', 1, undefined, limits).id).not.toBe(prepared.id);
  });

  it('counts UTF-8 bytes and header bytes against the limit', () => {
    // 50 two-byte characters and the quotes: 102 bytes, where 50 ASCII ones would be 52.
    expect(reasonOf(() => preparePublish('c', 'é'.repeat(50), undefined, limits))).toBe('payload_too_large');
    expect(reasonOf(() => preparePublish('c', 'é'.repeat(49), undefined, limits))).toBeUndefined();
    expect(reasonOf(() => preparePublish('c', 'x'.repeat(98), undefined, limits))).toBeUndefined();
    expect(reasonOf(() => preparePublish('c', 'x'.repeat(97), { headers: { h: 'v' } }, limits))).toBe('payload_too_large');
  });

  it('rejects each kind of bad input with its own reason', () => {
    expect(reasonOf(() => preparePublish('bad name', 1, undefined, limits))).toBe('invalid_channel');
    expect(reasonOf(() => preparePublish('c', 1n, undefined, limits))).toBe('invalid_data');
    expect(reasonOf(() => preparePublish('c', Symbol('s'), undefined, limits))).toBe('invalid_data');
    expect(reasonOf(() => preparePublish('c', 1, { headers: [] as unknown as Record<string, string> }, limits))).toBe('invalid_headers');
    expect(reasonOf(() => preparePublish('c', 1, { headers: { '': 'v' } }, limits))).toBe('invalid_headers');
    expect(reasonOf(() => preparePublish('c', 1, { id: '' }, limits))).toBe('invalid_options');
    expect(reasonOf(() => preparePublish('c', 1, { ephemeral: 'yes' as unknown as boolean }, limits))).toBe('invalid_options');
    expect(reasonOf(() => preparePublish('c', 1, { ephemeral: 1 as unknown as boolean }, limits))).toBe('invalid_options');
    expect(reasonOf(() => preparePublish('c', 1, { ephemeral: null as unknown as boolean }, limits))).toBe('invalid_options');
  });

  it('carries ephemeral, false unless given as true', () => {
    expect(preparePublish('c', 1, undefined, limits).ephemeral).toBe(false);
    expect(preparePublish('c', 1, { ephemeral: false }, limits).ephemeral).toBe(false);
    expect(preparePublish('c', 1, { ephemeral: true }, limits).ephemeral).toBe(true);
  });
});

describe('encodeData and decodeData', () => {
  it('round-trip JSON and reject what is not JSON', () => {
    expect(decodeData(encodeData({ x: null }))).toEqual({ x: null });
    expect(reasonOf(() => decodeData('{oops'))).toBe('invalid_data');
    expect(reasonOf(() => encodeData(undefined))).toBe('invalid_data');
  });
});
