import { ClientError } from './client-error.js';
import type { ServerFrame } from './frames.js';

interface Waiting {
  /** The frame to send, until it is sent on a connection. */
  text: string | undefined;
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (error: ClientError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly channel: string | undefined;
}

/**
 * Requests answered once and never resent (`presence`, `refresh`). One made while disconnected
 * waits for the next connection; one sent fails with `disconnected` when its connection drops
 * (its answer is lost with it). Each fails with `timeout` after `timeoutMs` from the call.
 */
export class Requests {
  private readonly waiting = new Map<string, Waiting>();
  private serial = 0;

  constructor(private readonly timeoutMs: number) {}

  /**
   * Sends `frame` with a new id (at once through `send` when connected) and waits for the frame
   * with that id: an `error` rejects, anything else resolves.
   */
  request(frame: object, channel: string | undefined, send: ((text: string) => void) | undefined): Promise<ServerFrame> {
    const id = `q${++this.serial}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(id, new ClientError('timeout', 'no answer from the server', channel)), this.timeoutMs);
      this.waiting.set(id, { text: JSON.stringify({ ...frame, id }), resolve, reject, timer, channel });
      if (send !== undefined) this.flush(send);
    });
  }

  /** Sends the requests made while disconnected. */
  flush(send: (text: string) => void): void {
    for (const waiting of this.waiting.values()) {
      if (waiting.text === undefined) continue;
      const text = waiting.text;
      waiting.text = undefined;
      send(text);
    }
  }

  /** Settles the request `frame` answers; false when it answers none. */
  answer(frame: ServerFrame): boolean {
    const waiting = frame.id === undefined ? undefined : this.waiting.get(frame.id);
    if (waiting === undefined) return false;
    this.waiting.delete(frame.id as string);
    clearTimeout(waiting.timer);
    if (frame.type === 'error') waiting.reject(new ClientError(frame.code ?? 'internal_error', frame.message ?? 'request refused', frame.channel ?? waiting.channel));
    else waiting.resolve(frame);
    return true;
  }

  /** The connection dropped: the requests it carried fail with `disconnected`; unsent ones wait. */
  disconnected(): void {
    for (const [id, waiting] of [...this.waiting]) {
      if (waiting.text === undefined) this.fail(id, new ClientError('disconnected', 'the connection dropped before the answer', waiting.channel));
    }
  }

  /** Fails every request (the client closed). */
  failAll(error: ClientError): void {
    for (const id of [...this.waiting.keys()]) this.fail(id, error);
  }

  private fail(id: string, error: ClientError): void {
    const waiting = this.waiting.get(id);
    if (waiting === undefined) return;
    this.waiting.delete(id);
    clearTimeout(waiting.timer);
    waiting.reject(error);
  }
}
