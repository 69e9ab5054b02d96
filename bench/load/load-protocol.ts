// Messages between the bench process and its load-generator workers (child_process.fork with the
// 'advanced' serialization, so latency samples cross as typed arrays, not JSON).

/** Which client library drives the system: our protocol over `ws` (also the bare ws peers), or socket.io-client. */
export type ClientKind = 'ours' | 'sio';

export interface ConnectCommand {
  readonly type: 'connect';
  readonly client: ClientKind;
  /** Instance A and B; the same URL twice for a single-process system. */
  readonly urls: readonly [string, string];
  /** One channel per room this worker owns. */
  readonly channels: readonly string[];
  readonly players: number;
  /** Subscribe every player to its room's channel (else connect only). */
  readonly subscribe: boolean;
  /** Connects (each with its subscribe) in flight at once in this worker. */
  readonly concurrency: number;
  readonly startTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export interface RunCommand {
  readonly type: 'run';
  /** Messages per second per room, sent by the room's first player. */
  readonly ratePerRoom: number;
  readonly durationMs: number;
  /** Stop waiting for deliveries after this long without one. */
  readonly idleMs: number;
}

export type ToWorker = ConnectCommand | RunCommand | { readonly type: 'close' };

export interface LoadResult {
  readonly sent: number;
  readonly publishErrors: number;
  readonly firstPublishError?: string;
  /** sent × players: every player of a room (the publisher included) gets every message. */
  readonly expected: number;
  readonly delivered: number;
  readonly duplicates: number;
  readonly reordered: number;
  /** Send-to-delivery latency of every delivery, ms. */
  readonly latencies: Float64Array;
  readonly maxInFlight: number;
  /** Worst lateness of a send against its schedule, ms: large values mean the generator is saturated. */
  readonly maxSendLagMs: number;
  /** process.cpuUsage() of the worker over the run (microseconds). */
  readonly cpuUs: number;
  /** First send to last delivery, ms. */
  readonly elapsedMs: number;
}

export type FromWorker =
  | { readonly type: 'started' }
  | { readonly type: 'connected'; readonly connections: number; readonly failed: number; readonly firstError?: string }
  | { readonly type: 'result'; readonly result: LoadResult }
  | { readonly type: 'failed'; readonly error: string };
