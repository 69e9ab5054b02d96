import WebSocket from 'ws';
import { isBenchPayload, type BenchConnection, type BenchPayload, type DeliveryHandler } from './bench-connection.js';

interface Pending {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** A client of our server speaking protocol v1 (docs/protocol.md) over `ws`. */
class OursConnection implements BenchConnection {
  private readonly pending = new Map<string, Pending>();
  private handler: DeliveryHandler = () => undefined;
  private nextId = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly requestTimeoutMs: number,
  ) {
    socket.on('message', (raw: WebSocket.RawData) => this.handle(raw.toString()));
    socket.on('close', () => this.failAll(new Error('connection closed')));
  }

  join(channel: string): Promise<void> {
    return this.request({ type: 'subscribe', channel });
  }

  leave(channel: string): Promise<void> {
    return this.request({ type: 'unsubscribe', channel });
  }

  publish(channel: string, payload: BenchPayload): Promise<void> {
    return this.request({ type: 'publish', channel, data: payload });
  }

  onDelivery(handler: DeliveryHandler): void {
    this.handler = handler;
  }

  close(): void {
    this.failAll(new Error('closed by the benchmark'));
    this.socket.terminate();
  }

  private request(frame: Record<string, unknown>): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('connection not open'));
    const id = String(++this.nextId);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply to ${String(frame['type'])} within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.send(JSON.stringify({ ...frame, id }));
    });
  }

  private settle(id: unknown, error?: Error): void {
    if (typeof id !== 'string') return;
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (error === undefined) entry.resolve();
    else entry.reject(error);
  }

  private handle(text: string): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    switch (frame['type']) {
      case 'message': {
        const data = frame['data'];
        if (typeof frame['channel'] === 'string' && isBenchPayload(data)) this.handler(frame['channel'], data);
        return;
      }
      case 'ack':
        this.settle(frame['id']);
        return;
      case 'error':
        this.settle(frame['id'], new Error(`${String(frame['code'])}: ${String(frame['message'])}`));
        return;
      default:
        return;
    }
  }

  private failAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }
}

/** Opens `ws://.../ws` and resolves after the server's `welcome` frame. */
export function connectOurs(httpUrl: string, timeoutMs: number, requestTimeoutMs: number): Promise<BenchConnection> {
  const socket = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/ws`, { handshakeTimeout: timeoutMs, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no welcome within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('message', (raw: WebSocket.RawData) => {
      clearTimeout(timer);
      const text = raw.toString();
      if (!text.includes('"welcome"')) {
        socket.terminate();
        reject(new Error(`expected a welcome frame, got ${text.slice(0, 200)}`));
        return;
      }
      socket.on('error', () => undefined); // later errors show up as close + failed requests
      resolve(new OursConnection(socket, requestTimeoutMs));
    });
  });
}
