import type { Message } from '@app/core';
import { messageFrame } from './server-frames.js';

/**
 * `replaying`: the client's stream comes from its own replay subscription; shared messages wait.
 * `skipping`: the replay ran ahead of the shared stream; shared messages it already sent are dropped.
 * `live`: the replay is gone; the shared stream is the client's stream.
 * `dedicated`: the handover was given up; the replay subscription stays the client's stream for good.
 */
export type HandoverState = 'replaying' | 'skipping' | 'live' | 'dedicated';

/** Where a handover sends the client's frames: the client's side, which knows nothing of the handover. */
export interface HandoverSink {
  /** A message from the replay, encoded for this client alone. */
  sendReplayed(frame: string): void;
  /** A message of the shared stream, in the WebSocket frame the hub made once for every client. */
  sendShared(framed: Buffer): void;
}

export interface ReplayHandoverOptions {
  readonly sink: HandoverSink;
  /** Shared messages held while the replay catches up, and replayed positions remembered. */
  readonly maxPending: number;
  /** Bytes of held shared frames; past it the handover is abandoned like past `maxPending`. */
  readonly maxPendingBytes: number;
  /** False when the bus does not promise one order per channel: then no handover is attempted. */
  readonly ordered: boolean;
}

/**
 * Splices a client's private replay subscription (`from: since`) into the instance's shared
 * channel subscription without a gap or a duplicate.
 *
 * Both subscriptions see the same channel in the same order (`orderedPerChannel`), and the shared
 * listener is attached before the replay subscription starts, so every shared message also shows
 * up in the replay stream. The client gets replay messages until the two streams meet on a
 * position, then the shared stream from there on:
 *  - replay behind: shared messages wait in `pending`; when the replay reaches one of them, that
 *    one and the ones after it are sent and the replay ends (held messages before it are older
 *    than `since`: a lagging instance's shared stream can deliver some after the client joined);
 *  - replay ahead: a shared message whose position the replay already sent proves it; the replay
 *    ends and shared messages are skipped until the first one it did not send.
 * Memory stays bounded: past `maxPending` messages or `maxPendingBytes` the handover is abandoned and the replay subscription
 * simply remains this client's stream, which the bus guarantees is complete on its own.
 *
 * It only reports outward, through its sink; whoever feeds it reads {@link replayWanted} after
 * each message and ends the replay subscription once that is false. Shared messages keep the
 * hub's frame, so a recovered client writes the same bytes as every other client.
 */
export class ReplayHandover {
  private current: HandoverState;
  private pending: { position: string; framed: Buffer }[] = [];
  /** Index in `pending` of each held position, so a replay message finds its match at once. */
  private readonly pendingAt = new Map<string, number>();
  private pendingBytes = 0;
  /** Positions sent from the replay, oldest first (a Set keeps insertion order). */
  private readonly replayed = new Set<string>();

  constructor(private readonly options: ReplayHandoverOptions) {
    this.current = options.ordered ? 'replaying' : 'dedicated';
  }

  get state(): HandoverState {
    return this.current;
  }

  /** False once the shared stream has taken over (`live`, `skipping`): the replay subscription can end. */
  get replayWanted(): boolean {
    return this.current === 'replaying' || this.current === 'dedicated';
  }

  /** A message from the client's replay subscription. */
  onReplay(message: Message): void {
    if (this.current === 'dedicated') {
      this.options.sink.sendReplayed(messageFrame(message));
      return;
    }
    if (this.current !== 'replaying') return;
    const meet = this.pendingAt.get(message.position);
    if (meet !== undefined) {
      const held = this.pending.slice(meet);
      this.dropPending();
      this.current = 'live';
      this.replayed.clear();
      for (const entry of held) this.options.sink.sendShared(entry.framed);
      return;
    }
    this.options.sink.sendReplayed(messageFrame(message));
    this.replayed.add(message.position);
    if (this.replayed.size > this.options.maxPending) {
      const oldest = this.replayed.values().next();
      if (oldest.done !== true) this.replayed.delete(oldest.value);
    }
  }

  /** A message from the shared channel subscription, with the hub's WebSocket frame of it. */
  onShared(message: Message, framed: Buffer): void {
    switch (this.current) {
      case 'live':
        this.options.sink.sendShared(framed);
        return;
      case 'dedicated':
        return;
      case 'skipping':
        if (this.replayed.delete(message.position)) return;
        this.replayed.clear();
        this.current = 'live';
        this.options.sink.sendShared(framed);
        return;
      case 'replaying':
        if (this.replayed.delete(message.position)) {
          // The replay already sent this one: it is ahead, and the shared stream can take over at once.
          this.current = 'skipping';
          return;
        }
        this.pendingAt.set(message.position, this.pending.length);
        this.pending.push({ position: message.position, framed });
        this.pendingBytes += framed.length;
        if (this.pending.length > this.options.maxPending || this.pendingBytes > this.options.maxPendingBytes) {
          this.dropPending();
          this.replayed.clear();
          this.current = 'dedicated';
        }
        return;
    }
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingAt.clear();
    this.pendingBytes = 0;
  }
}
