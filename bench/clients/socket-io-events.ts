import type { BenchPayload } from './bench-connection.js';

/** Events the bench Socket.IO peer understands. */
export interface ClientToServerEvents {
  join: (room: string, ack: () => void) => void;
  leave: (room: string, ack: () => void) => void;
  pub: (room: string, data: BenchPayload, ack: () => void) => void;
}

/** Events the bench Socket.IO peer emits. */
export interface ServerToClientEvents {
  msg: (room: string, data: BenchPayload) => void;
}
