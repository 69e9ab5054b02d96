import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { Flushable, FlushScheduler } from './flush-scheduler.js';
import { textFrame } from './ws-frame.js';

/** How sockets send, shared by every connection of a server. */
export interface SendPolicy {
  /** Outgoing bytes a socket may hold, written or held in a coalescing window, before it counts as full. */
  readonly limitBytes: number;
  /** Flushes at the end of the tick: replies, and message frames when there is no window. */
  readonly tick: FlushScheduler;
  /** Flushes message frames once the coalescing window (`SEND_COALESCE_MS`) has passed. */
  readonly window: FlushScheduler;
}

/** `sent`; `closed`: the socket is no longer open; `full`: over the limit, the caller closes with 4008. */
export type SendResult = 'sent' | 'closed' | 'full';

/** What a Connection uses of its socket; a test connection factory may wrap a ClientSocket in it. */
export type ConnectionSocket = Pick<ClientSocket, 'ws' | 'send' | 'sendFramed' | 'close'>;

const NOT_HELD = 0;
const HELD_FOR_WINDOW = 1;
const HELD_FOR_TICK = 2;

/**
 * The outgoing side of one client socket. Frames are written to the TCP socket while it is corked
 * and leave in one write when a scheduler flushes it, so held bytes are in `bufferedAmount` (the
 * send-buffer limit sees them) and frames keep their order whatever scheduler releases them.
 * Message frames wait for the coalescing window; any other frame (a reply) releases everything
 * held at the end of the tick, so replies are never delayed and never overtake a message.
 */
export class ClientSocket implements Flushable {
  private held: number = NOT_HELD;

  constructor(
    readonly ws: WebSocket,
    /** The TCP (or TLS) socket under `ws`, which ws writes every frame to. */
    private readonly raw: Duplex,
    private readonly policy: SendPolicy,
  ) {}

  /** A reply or notice (ack, error, welcome, replayed message): held until the end of the tick at most. */
  send(frame: string): SendResult {
    const state = this.check();
    if (state !== 'sent') return state;
    this.hold(HELD_FOR_TICK);
    // Framed here, as message frames are, rather than by ws.send: one buffer instead of ws's
    // header and payload pair, and none of its per-send option handling (no extensions are
    // negotiated, so the bytes are the same).
    this.raw.write(textFrame(frame));
    return 'sent';
  }

  /** A message frame already framed by `textFrame`: held for the coalescing window. */
  sendFramed(frame: Buffer): SendResult {
    const state = this.check();
    if (state !== 'sent') return state;
    this.hold(this.policy.window.windowMs === 0 ? HELD_FOR_TICK : HELD_FOR_WINDOW);
    this.raw.write(frame);
    return 'sent';
  }

  /** Writes out everything held. Safe to call at any time, also more than once. */
  flush(): void {
    if (this.held === NOT_HELD) return;
    this.held = NOT_HELD;
    this.raw.uncork();
  }

  /** Sends what is held, then the close frame behind it. */
  close(code: number, reason: string): void {
    this.flush();
    this.ws.close(code, reason);
  }

  private check(): SendResult {
    if (this.ws.readyState !== WebSocket.OPEN) return 'closed';
    return this.ws.bufferedAmount > this.policy.limitBytes ? 'full' : 'sent';
  }

  private hold(until: number): void {
    if (this.held === NOT_HELD) this.raw.cork();
    else if (this.held === HELD_FOR_TICK || until === HELD_FOR_WINDOW) return;
    // A reply while a message waits for its window: the tick flush releases both (the window's
    // later flush then finds nothing held, which is harmless).
    this.held = until;
    (until === HELD_FOR_TICK ? this.policy.tick : this.policy.window).schedule(this);
  }
}
