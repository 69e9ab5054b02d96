import { io, type Socket } from 'socket.io-client';
import type { BenchConnection, BenchPayload, DeliveryHandler } from './bench-connection.js';
import type { ClientToServerEvents, ServerToClientEvents } from './socket-io-events.js';

type PeerSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A client of the Socket.IO peer: rooms for channels, emit-with-ack for publish. */
class SocketIoConnection implements BenchConnection {
  private handler: DeliveryHandler = () => undefined;

  constructor(
    private readonly socket: PeerSocket,
    private readonly requestTimeoutMs: number,
  ) {
    socket.on('msg', (room, data) => this.handler(room, data));
  }

  async join(channel: string): Promise<void> {
    await this.socket.timeout(this.requestTimeoutMs).emitWithAck('join', channel);
  }

  async leave(channel: string): Promise<void> {
    await this.socket.timeout(this.requestTimeoutMs).emitWithAck('leave', channel);
  }

  async publish(channel: string, payload: BenchPayload): Promise<void> {
    await this.socket.timeout(this.requestTimeoutMs).emitWithAck('pub', channel, payload);
  }

  onDelivery(handler: DeliveryHandler): void {
    this.handler = handler;
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Connects over WebSocket only (no long-polling, no reconnection: a drop shows up as loss). */
export function connectSocketIo(httpUrl: string, timeoutMs: number, requestTimeoutMs: number): Promise<BenchConnection> {
  const socket: PeerSocket = io(httpUrl, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: timeoutMs });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.disconnect();
      reject(new Error(`not connected within ${timeoutMs} ms`));
    }, timeoutMs + 500);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(new SocketIoConnection(socket, requestTimeoutMs));
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      socket.disconnect();
      reject(error);
    });
  });
}
