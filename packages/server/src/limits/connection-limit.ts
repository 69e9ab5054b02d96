import type { Duplex } from 'node:stream';
import type { UpgradeRefusal } from '../auth/upgrade-response.js';

/** Seconds a client refused for the connection limit is asked to wait before it tries again. */
export const RETRY_AFTER_S = 5;

/** The 503 answer for a handshake past `MAX_CONNECTIONS`. */
export const TOO_MANY_CONNECTIONS: UpgradeRefusal = {
  status: 503,
  error: 'too_many_connections',
  message: 'this instance holds as many connections as it may (MAX_CONNECTIONS); try again later or another instance',
  headers: { 'Retry-After': String(RETRY_AFTER_S) },
};

/**
 * The most sockets one instance holds on `/ws`: open connections and handshakes still in progress
 * (a token being verified), so a burst of handshakes cannot overshoot the limit while each waits.
 *
 * A slot is tied to its socket, not to the code paths of the handshake: it is given back when the
 * socket finishes writing (a refusal was sent, or the WebSocket closed) or closes (the client left,
 * or ws aborted a bad handshake), whichever comes first. So no refusal or error path can leak one.
 */
export class ConnectionLimit {
  private inUse = 0;
  private readonly held = new WeakSet<Duplex>();
  /**
   * One listener for every socket of this limit (`this` is the socket), instead of a closure and
   * two `once` wrappers per socket: idle memory per connection is a figure we keep low.
   */
  private readonly release: (this: Duplex) => void;

  constructor(readonly max: number) {
    const limit = this;
    this.release = function release(this: Duplex): void {
      if (!limit.held.delete(this)) return;
      this.off('finish', limit.release);
      this.off('close', limit.release);
      limit.inUse -= 1;
    };
  }

  /** Sockets holding a slot now. */
  get used(): number {
    return this.inUse;
  }

  /**
   * Takes a slot for `socket` until it ends; false, and nothing taken, when every slot is in use.
   * A socket already holding a slot keeps its one slot (true, nothing more taken).
   */
  acquire(socket: Duplex): boolean {
    if (this.held.has(socket)) return true;
    if (this.inUse >= this.max) return false;
    this.inUse += 1;
    this.held.add(socket);
    socket.on('finish', this.release);
    socket.on('close', this.release);
    return true;
  }
}
