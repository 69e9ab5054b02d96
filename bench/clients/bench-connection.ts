/** What the publisher sends and every subscriber checks: sequence number, send time, optional padding. */
export interface BenchPayload {
  /** 0-based sequence number within the round. */
  readonly s: number;
  /** `performance.now()` in the benchmark process when the message was sent. */
  readonly t: number;
  /** Padding up to BENCH_PAYLOAD_BYTES. */
  readonly p?: string;
}

export type DeliveryHandler = (channel: string, payload: BenchPayload) => void;

/** One client connection to one server instance, whatever the system under test. */
export interface BenchConnection {
  /** Resolves once the server confirmed that the connection receives everything published to `channel` from now on. */
  join(channel: string): Promise<void>;
  leave(channel: string): Promise<void>;
  /** Resolves on the server's acknowledgement; rejects on an error reply or after the request timeout. */
  publish(channel: string, payload: BenchPayload): Promise<void>;
  onDelivery(handler: DeliveryHandler): void;
  close(): void;
}

export function isBenchPayload(value: unknown): value is BenchPayload {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record['s'] === 'number' && typeof record['t'] === 'number';
}
