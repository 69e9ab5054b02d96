import { performance } from 'node:perf_hooks';
import type { BenchConnection, BenchPayload } from '../clients/bench-connection.js';
import { summarize, type LatencySummary } from '../stats.js';

export interface RoundSettings {
  readonly messages: number;
  readonly window: number;
  readonly payloadBytes: number;
  readonly roundTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

/** The connections of one system: the publisher and half the subscribers on instance A, the rest on B. */
export interface RoundClients {
  readonly publisher: BenchConnection;
  readonly local: readonly BenchConnection[];
  readonly remote: readonly BenchConnection[];
}

export interface RoundResult {
  readonly complete: boolean;
  /** Why the round stopped waiting: everything arrived, no progress for the idle timeout, or the round timeout. */
  readonly ended: 'complete' | 'idle' | 'timeout';
  readonly expected: number;
  readonly delivered: number;
  readonly durationMs: number;
  readonly throughput: number;
  /** Publish on A -> delivery to subscribers on B (the cross-instance path). */
  readonly remote: LatencySummary;
  /** Publish on A -> delivery to subscribers on A, for reference. */
  readonly local: LatencySummary;
  readonly lost: number;
  readonly reordered: number;
  readonly duplicates: number;
  readonly publishErrors: number;
  readonly firstPublishError?: string;
}

interface Receiver {
  readonly seen: Uint8Array;
  unique: number;
  maxSeq: number;
  reordered: number;
  duplicates: number;
}

function receiver(messages: number): Receiver {
  return { seen: new Uint8Array(messages), unique: 0, maxSeq: -1, reordered: 0, duplicates: 0 };
}

/** Publishes `messages` payloads keeping at most `window` unacknowledged; bounded by `deadline`. */
function publishAll(publisher: BenchConnection, channel: string, settings: RoundSettings, deadline: number) {
  const pad = settings.payloadBytes > 0 ? 'x'.repeat(settings.payloadBytes) : undefined;
  let next = 0;
  let inFlight = 0;
  let errors = 0;
  let firstError: string | undefined;
  const firstSendAt = performance.now();
  const done = new Promise<void>((resolve) => {
    const pump = (): void => {
      while (inFlight < settings.window && next < settings.messages && performance.now() < deadline) {
        const payload: BenchPayload = pad === undefined ? { s: next, t: performance.now() } : { s: next, t: performance.now(), p: pad };
        next += 1;
        inFlight += 1;
        publisher.publish(channel, payload).then(
          () => settle(),
          (error: unknown) => {
            errors += 1;
            firstError ??= error instanceof Error ? error.message : String(error);
            settle();
          },
        );
      }
      if (inFlight === 0) resolve();
    };
    const settle = (): void => {
      inFlight -= 1;
      pump();
    };
    pump();
  });
  return { firstSendAt, done, result: () => ({ errors, firstError }) };
}

/** One round: everyone joins `channel`, the publisher sends, and every subscriber's stream is checked. */
export async function runRound(clients: RoundClients, channel: string, settings: RoundSettings): Promise<RoundResult> {
  const { messages } = settings;
  const subscribers = [...clients.local, ...clients.remote];
  const receivers = subscribers.map(() => receiver(messages));
  const remoteLatency = new Float64Array(messages * clients.remote.length);
  const localLatency = new Float64Array(messages * clients.local.length);
  let remoteCount = 0;
  let localCount = 0;
  let completed = 0;
  let lastDeliveryAt = 0;
  let finish: (how: RoundResult['ended']) => void = () => undefined;
  const finished = new Promise<RoundResult['ended']>((resolve) => {
    finish = resolve;
  });

  subscribers.forEach((connection, index) => {
    const state = receivers[index] as Receiver;
    const isRemote = index >= clients.local.length;
    connection.onDelivery((got, payload) => {
      if (got !== channel) return;
      const now = performance.now();
      const seq = payload.s;
      if (!Number.isInteger(seq) || seq < 0 || seq >= messages) return;
      if (state.seen[seq] === 1) {
        state.duplicates += 1;
        return;
      }
      state.seen[seq] = 1;
      state.unique += 1;
      if (seq < state.maxSeq) state.reordered += 1;
      else state.maxSeq = seq;
      if (isRemote) remoteLatency[remoteCount++] = now - payload.t;
      else localLatency[localCount++] = now - payload.t;
      lastDeliveryAt = now;
      if (state.unique === messages && ++completed === subscribers.length) finish('complete');
    });
  });

  await Promise.all(subscribers.map((connection) => connection.join(channel)));
  const deadline = performance.now() + settings.roundTimeoutMs;
  const publishing = publishAll(clients.publisher, channel, settings, deadline);
  let publishedAt: number | undefined;
  void publishing.done.then(() => {
    publishedAt = performance.now();
  });
  const watchdog = setInterval(() => {
    const now = performance.now();
    if (now >= deadline) finish('timeout');
    else if (publishedAt !== undefined && now - Math.max(publishedAt, lastDeliveryAt) >= settings.idleTimeoutMs) finish('idle');
  }, 100);
  const ended = await finished;
  clearInterval(watchdog);
  // Acks still outstanding settle through the request timeout; wait for them only so long.
  await Promise.race([publishing.done, new Promise((r) => setTimeout(r, settings.idleTimeoutMs))]);

  for (const connection of subscribers) connection.onDelivery(() => undefined);
  await Promise.allSettled(subscribers.map((connection) => connection.leave(channel)));

  const expected = messages * subscribers.length;
  const delivered = receivers.reduce((sum, r) => sum + r.unique, 0);
  const durationMs = (lastDeliveryAt > 0 ? lastDeliveryAt : performance.now()) - publishing.firstSendAt;
  const { errors, firstError } = publishing.result();
  return {
    complete: delivered === expected,
    ended,
    expected,
    delivered,
    durationMs,
    throughput: durationMs > 0 ? (delivered / durationMs) * 1000 : 0,
    remote: summarize(remoteLatency.subarray(0, remoteCount)),
    local: summarize(localLatency.subarray(0, localCount)),
    lost: expected - delivered,
    reordered: receivers.reduce((sum, r) => sum + r.reordered, 0),
    duplicates: receivers.reduce((sum, r) => sum + r.duplicates, 0),
    publishErrors: errors,
    ...(firstError === undefined ? {} : { firstPublishError: firstError }),
  };
}
