import type { Message } from '@app/core';
import { describe, expect, it } from 'vitest';
import { ReplayHandover } from '../src/replay-handover.js';

function message(seq: number): Message {
  return { id: `m${seq}`, channel: 'c', data: seq, headers: {}, timestamp: 0, position: `p${seq}`, attempt: 1 };
}

function setup(options: { maxPending?: number; maxPendingBytes?: number; ordered?: boolean } = {}) {
  const sent: number[] = [];
  /** Every shared frame sent, as the object the hub made: the handover must not copy or re-encode it. */
  const sharedSent: Buffer[] = [];
  const framesOf = new Map<number, Buffer>();
  let stops = 0;
  let replayRunning = true;
  const handover = new ReplayHandover({
    sink: {
      sendReplayed: (frame) => sent.push((JSON.parse(frame) as { data: number }).data),
      sendShared: (framed) => {
        sharedSent.push(framed);
        sent.push((JSON.parse(framed.toString()) as { data: number }).data);
      },
    },
    maxPending: options.maxPending ?? 100,
    maxPendingBytes: options.maxPendingBytes ?? 1_000_000,
    ordered: options.ordered ?? true,
  });
  // As ClientChannel does: after each message, end the replay once it is no longer wanted.
  const settle = (): void => {
    if (replayRunning && !handover.replayWanted) {
      replayRunning = false;
      stops += 1;
    }
  };
  const shared = (seq: number): void => {
    const framed = Buffer.from(JSON.stringify({ data: seq }));
    framesOf.set(seq, framed);
    handover.onShared(message(seq), framed);
    settle();
  };
  const replay = (seq: number): void => {
    handover.onReplay(message(seq));
    settle();
  };
  return { handover, sent, sharedSent, framesOf, shared, replay, stops: () => stops };
}

describe('ReplayHandover', () => {
  it('holds shared messages while the replay is behind, then switches without gap or duplicate', () => {
    const { handover, sent, sharedSent, framesOf, shared, replay, stops } = setup();
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
    // Held and live shared messages go out as the hub's own frames, not re-encoded copies.
    expect(sharedSent).toEqual([framesOf.get(3), framesOf.get(4), framesOf.get(5)]);
    sharedSent.forEach((framed, index) => expect(framed).toBe(framesOf.get(index + 3)));
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
