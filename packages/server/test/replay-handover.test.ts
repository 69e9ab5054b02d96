import type { Message } from '@app/core';
import { describe, expect, it } from 'vitest';
import { ReplayHandover } from '../src/replay-handover.js';

function message(seq: number): Message {
  return { id: `m${seq}`, channel: 'c', data: seq, headers: {}, timestamp: 0, position: `p${seq}`, attempt: 1 };
}

function setup(options: { maxPending?: number; maxPendingBytes?: number; ordered?: boolean } = {}) {
  const sent: number[] = [];
  let stops = 0;
  const handover = new ReplayHandover({
    forward: (frame) => sent.push((JSON.parse(frame) as { data: number }).data),
    stopReplay: () => {
      stops += 1;
    },
    maxPending: options.maxPending ?? 100,
    maxPendingBytes: options.maxPendingBytes ?? 1_000_000,
    ordered: options.ordered ?? true,
  });
  const shared = (seq: number): void => handover.onShared(message(seq), JSON.stringify({ data: seq }));
  const replay = (seq: number): void => handover.onReplay(message(seq));
  return { handover, sent, shared, replay, stops: () => stops };
}

describe('ReplayHandover', () => {
  it('holds shared messages while the replay is behind, then switches without gap or duplicate', () => {
    const { handover, sent, shared, replay, stops } = setup();
    replay(1);
    shared(3);
    replay(2);
    shared(4);
    replay(3);
    expect(handover.state).toBe('live');
    replay(4);
    shared(5);
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    expect(stops()).toBe(1);
  });

  it('skips shared messages the replay already sent when the replay is ahead', () => {
    const { handover, sent, shared, replay, stops } = setup();
    replay(1);
    replay(2);
    replay(3);
    shared(2);
    expect(handover.state).toBe('skipping');
    replay(4);
    shared(3);
    shared(4);
    shared(5);
    expect(handover.state).toBe('live');
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    expect(stops()).toBe(1);
  });

  it('keeps the replay as the whole stream once too much is pending', () => {
    const { handover, sent, shared, replay, stops } = setup({ maxPending: 2 });
    replay(1);
    shared(5);
    shared(6);
    shared(7);
    expect(handover.state).toBe('dedicated');
    for (const seq of [2, 3, 4, 5, 6, 7, 8]) replay(seq);
    shared(8);
    expect(sent).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(stops()).toBe(0);
  });

  it('never mixes the streams when the bus promises no order per channel', () => {
    const { handover, sent, shared, replay } = setup({ ordered: false });
    shared(1);
    replay(1);
    replay(2);
    shared(2);
    expect(handover.state).toBe('dedicated');
    expect(sent).toEqual([1, 2]);
  });

  it('hands over when the replay meets a later held message: earlier ones predate `since`', () => {
    // A lagging instance's shared stream still delivers 1 and 2 after the client joined with since = 2.
    const { handover, sent, shared, replay, stops } = setup();
    shared(1);
    shared(2);
    shared(3);
    replay(3);
    expect(handover.state).toBe('live');
    shared(4);
    expect(sent).toEqual([3, 4]);
    expect(stops()).toBe(1);
  });

  it('gives the handover up once the held frames pass the byte limit, and keeps the replay as the stream', () => {
    const { handover, sent, shared, replay } = setup({ maxPendingBytes: 40 });
    replay(1);
    for (let seq = 10; seq < 20; seq += 1) shared(seq);
    expect(handover.state).toBe('dedicated');
    replay(2);
    expect(sent).toEqual([1, 2]);
  });
});
