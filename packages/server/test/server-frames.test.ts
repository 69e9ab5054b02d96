import type { Message } from '@app/core';
import { lazyMessage } from '@app/core';
import { describe, expect, it, vi } from 'vitest';
import { messageFrame } from '../src/server-frames.js';

const fields = { id: 'id "1"', channel: 'game:42', headers: {}, timestamp: 1767225600000, position: 'p\\1', attempt: 1 };

describe('messageFrame', () => {
  it('splices dataJson in without decoding it, and gives the same frame as encoding data', () => {
    const data = { move: 'e4', text: 'quote " backslash \\ ✓', list: [1, null] };
    const parse = vi.spyOn(JSON, 'parse');
    const lazy = lazyMessage({ ...fields, dataJson: JSON.stringify(data) });
    const frame = messageFrame(lazy);
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    const plain: Message = { ...fields, data };
    const expected = { type: 'message', channel: 'game:42', data, id: 'id "1"', position: 'p\\1', timestamp: 1767225600000 };
    expect(frame).toBe(JSON.stringify(expected));
    expect(messageFrame(plain)).toBe(frame);
  });

  it('uses dataJson as given, so what the bus carried is what the client reads', () => {
    const frame = messageFrame({ ...fields, data: { a: 1 }, dataJson: '{ "a" : 1 }' });
    expect(frame).toContain('"data":{ "a" : 1 },');
    expect(JSON.parse(frame)).toMatchObject({ data: { a: 1 }, id: 'id "1"' });
  });
});
