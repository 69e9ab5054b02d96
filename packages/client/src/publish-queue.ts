import { ClientError } from './client-error.js';
import type { ServerFrame } from './frames.js';
import { randomId } from './random-id.js';

/** What a publish resolves with: the server's ack. */
export interface PublishResult {
  /** The message's id as subscribers see it: `<sub>:<messageId>`, or `anon:<messageId>` on a server without auth. */
  readonly messageId: string;
  /** The message's position in its channel, when the bus told it (every built-in driver does). */
  readonly position?: string;
}

interface PendingPublish {
  /** The publish frame as sent, the same text on every attempt: same `messageId`, same request id. */
  readonly frame: string;
  readonly channel: string;
  readonly resolve: (result: PublishResult) => void;
  readonly reject: (error: ClientError) => void;
  sent: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * The publishes not yet acknowledged, in call order: those waiting for a connection (bounded)
 * and those sent. When the connection drops, the sent ones wait again and go out after the
 * reconnect ahead of the later ones, with the same `messageId`, so the server stores the same
 * message id and one channel's publishes keep their order.
 */
export class PublishQueue {
  /** By request id; a Map keeps insertion order, which is call order. */
  private readonly pending = new Map<string, PendingPublish>();
  private waiting = 0;
  private serial = 0;
  /** The server's `maxFrameBytes` from its welcome: a larger frame would make it close the connection with 1009. */
  maxFrameBytes = Infinity;

  constructor(
    private readonly maxWaiting: number,
    private readonly ackTimeoutMs: number,
  ) {}

  /** Adds a publish; sends it at once through `send` when connected (and nothing waits before it). */
  add(channel: string, data: unknown, send: ((text: string) => void) | undefined): Promise<PublishResult> {
    if (send === undefined && this.waiting >= this.maxWaiting) {
      return Promise.reject(new ClientError('queue_full', `${this.maxWaiting} publishes already wait for a connection`, channel));
    }
    const id = `p${++this.serial}`;
    let frame: string;
    try {
      // Encoded now, not at send: data the app changes afterwards is published as it was.
      frame = JSON.stringify({ type: 'publish', channel, data, id, messageId: randomId() });
    } catch (error) {
      return Promise.reject(new ClientError('invalid_data', 'data cannot be encoded as JSON', channel, error));
    }
    return new Promise((resolve, reject) => {
      const publish: PendingPublish = { frame, channel, resolve, reject, sent: false };
      this.pending.set(id, publish);
      this.waiting += 1;
      // Nothing waits before it (the usual case when connected): send just this one, not a walk over all in flight.
      if (send !== undefined && this.waiting === 1) this.send(id, publish, send);
      else if (send !== undefined) this.flush(send);
    });
  }

  /** Sends, in call order, every publish not sent on this connection. */
  flush(send: (text: string) => void): void {
    for (const [id, publish] of this.pending) if (!publish.sent) this.send(id, publish, send);
  }

  private send(id: string, publish: PendingPublish, send: (text: string) => void): void {
    if (tooLarge(publish.frame, this.maxFrameBytes)) {
      // Sent, it would close the connection (1009), and be sent again after every reconnect.
      this.settle(id, new ClientError('payload_too_large', `the publish frame is over the server's maxFrameBytes (${this.maxFrameBytes})`, publish.channel));
      return;
    }
    publish.sent = true;
    this.waiting -= 1;
    publish.timer = setTimeout(() => this.settle(id, new ClientError('timeout', 'no answer from the server to this publish', publish.channel)), this.ackTimeoutMs);
    send(publish.frame);
  }

  /** The connection dropped: what was sent and not answered waits to be sent again. */
  disconnected(): void {
    for (const publish of this.pending.values()) {
      if (!publish.sent) continue;
      clearTimeout(publish.timer);
      publish.sent = false;
      this.waiting += 1;
    }
  }

  /** Settles the publish a server `ack` or `error` answers; false when the frame answers something else. */
  answer(frame: ServerFrame): boolean {
    const id = frame.id;
    if (id === undefined || !this.pending.has(id)) return false;
    if (frame.type === 'ack') {
      this.settle(id, frame.position === undefined ? { messageId: frame.messageId ?? '' } : { messageId: frame.messageId ?? '', position: frame.position });
    } else {
      this.settle(id, new ClientError(frame.code ?? 'internal_error', frame.message ?? 'publish refused', frame.channel));
    }
    return true;
  }

  /** Rejects every publish (the client closed). */
  rejectAll(error: ClientError): void {
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }

  private settle(id: string, outcome: PublishResult | ClientError): void {
    const publish = this.pending.get(id);
    if (publish === undefined) return;
    this.pending.delete(id);
    clearTimeout(publish.timer);
    if (!publish.sent) this.waiting -= 1;
    if (outcome instanceof ClientError) publish.reject(outcome.channel === undefined ? new ClientError(outcome.code, outcome.message, publish.channel) : outcome);
    else publish.resolve(outcome);
  }
}

/** Whether `text` is over `limit` bytes of UTF-8; encodes only when its length cannot tell. */
function tooLarge(text: string, limit: number): boolean {
  if (text.length * 3 <= limit) return false;
  return text.length > limit || new TextEncoder().encode(text).byteLength > limit;
}
