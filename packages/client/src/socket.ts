import { parseFrame, type ServerFrame } from './frames.js';

/** The event fields the client reads: `data` of `message`, `code`/`reason` of `close`, `message` of `error`. */
export interface WebSocketEventLike {
  readonly type: string;
  readonly data?: unknown;
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
}

/** What the client needs of a WebSocket: the browser's, Node's global one, or the `ws` package's. */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: WebSocketEventLike) => void): void;
}

/** A WebSocket constructor, as `new WebSocket(url, protocols)` takes it. */
export type WebSocketConstructor = new (url: string, protocols?: string[]) => WebSocketLike;

/** What a {@link Socket} tells its owner; the socket is passed so that a replaced one is recognised. */
export interface SocketOwner {
  socketFrame(socket: Socket, frame: ServerFrame): void;
  /** Once per socket. `opened`: the handshake succeeded. `detail`: the error text, where the WebSocket gave one. */
  socketClosed(socket: Socket, code: number, reason: string, opened: boolean, detail: string): void;
}

/** One connection attempt and, when it opens, the connection: frames in, text out, one close report. */
export class Socket {
  private readonly ws: WebSocketLike;
  private opened = false;
  private done = false;
  private detail = '';

  constructor(WebSocket: WebSocketConstructor, url: string, protocols: string[], private readonly owner: SocketOwner) {
    this.ws = new WebSocket(url, protocols);
    this.ws.addEventListener('open', () => (this.opened = true));
    this.ws.addEventListener('message', (event) => {
      const frame = parseFrame(event.data);
      if (frame !== undefined && !this.done) owner.socketFrame(this, frame);
    });
    this.ws.addEventListener('error', (event) => (this.detail = String(event.message ?? '')));
    this.ws.addEventListener('close', (event) => this.end(event.code ?? 1006, event.reason ?? ''));
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /**
   * Closes the socket (code 1000) and reports the close now as `code`, without waiting for the
   * closing handshake: for `close()`, and for a connect timeout, reported as 1006.
   */
  close(code: number, reason: string): void {
    try {
      this.ws.close(1000, reason);
    } catch {
      // Closing a socket that is still connecting may throw in some implementations; it is gone either way.
    }
    this.end(code, reason);
  }

  private end(code: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    this.owner.socketClosed(this, code, reason, this.opened, this.detail);
  }
}
