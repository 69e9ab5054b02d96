import type WebSocket from 'ws';
import type { RawData } from 'ws';

/** What a connection does with its socket's events. */
export interface SocketEventsTarget {
  socketClosed(code: number, reason: Buffer): void;
  socketError(error: Error): void;
  pong(): void;
  receive(data: RawData, isBinary: boolean): void;
}

// The listeners are shared functions (ws calls them with the socket as `this`) rather than
// closures per connection: thousands of idle connections should cost as little as possible.
const targets = new WeakMap<WebSocket, SocketEventsTarget>();

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const target = targets.get(this);
  targets.delete(this);
  target?.socketClosed(code, reason);
}
function onError(this: WebSocket, error: Error): void {
  targets.get(this)?.socketError(error);
}
function onPong(this: WebSocket): void {
  targets.get(this)?.pong();
}
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  targets.get(this)?.receive(data, isBinary);
}

/** Routes the socket's close, error, pong and message events to `target` until the socket closes. */
export function listenToSocket(socket: WebSocket, target: SocketEventsTarget): void {
  targets.set(socket, target);
  socket.on('close', onClose);
  socket.on('error', onError);
  socket.on('pong', onPong);
  socket.on('message', onMessage);
}
