import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConnectionLimit } from '../../src/limits/connection-limit.js';

describe('ConnectionLimit slots', () => {
  it('gives a slot back once per socket, on finish or close, whichever comes first', () => {
    const limit = new ConnectionLimit(2);
    const a = new PassThrough();
    const b = new PassThrough();
    expect(limit.acquire(a)).toBe(true);
    expect(limit.acquire(b)).toBe(true);
    expect(limit.acquire(new PassThrough())).toBe(false);
    a.emit('finish');
    a.emit('close');
    expect(limit.used).toBe(1);
    expect(a.listenerCount('close')).toBe(0);
    b.emit('close');
    expect(limit.used).toBe(0);
  });

  it('counts a socket acquired twice as one slot, released once', () => {
    const limit = new ConnectionLimit(1);
    const socket = new PassThrough();
    expect(limit.acquire(socket)).toBe(true);
    expect(limit.acquire(socket)).toBe(true);
    expect(limit.used).toBe(1);
    socket.emit('close');
    expect(limit.used).toBe(0);
    expect(limit.acquire(new PassThrough())).toBe(true);
  });

  it('keeps two limits apart', () => {
    const first = new ConnectionLimit(1);
    const second = new ConnectionLimit(1);
    const socket = new PassThrough();
    first.acquire(socket);
    second.acquire(socket);
    socket.emit('close');
    expect([first.used, second.used]).toEqual([0, 0]);
  });
});
