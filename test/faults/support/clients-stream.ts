import { createClient, type Client, type ClientEvents, type ClientOptions } from '../../../packages/client/src/index.js';
import type { Tally } from './tally.js';

/**
 * @app/client clients for the fault tests: a publisher that sends a steady, sequence-numbered
 * stream through a Tally, and subscribers that hand the Tally what the app is given (after the
 * client's resume and dedupe), with timestamps for failover times.
 */

const made: Client[] = [];

/** Closes every client made here (call in `afterEach`). */
export function closeStreamClients(): void {
  for (const client of made.splice(0)) client.close();
}

/** `[time, event, payload]` of every client event. */
export type TimedEvents = [number, keyof ClientEvents, unknown][];

export interface StreamClient {
  readonly name: string;
  readonly client: Client;
  readonly events: TimedEvents;
  /** Times of `disconnected` events. */
  disconnectedAt(): number[];
  /** The close codes of `disconnected` events. */
  closeCodes(): number[];
  /** The instance names of `connected` events, in order. */
  instances(): string[];
}

/** A client with a fast backoff (the tests should not wait out 10 s windows). */
export function streamClient(name: string, options: ClientOptions): StreamClient {
  const client = createClient({ backoffBaseMs: 20, backoffMaxMs: 250, ...options });
  made.push(client);
  const events: TimedEvents = [];
  for (const event of ['connecting', 'connected', 'disconnected', 'reconnecting', 'closed', 'error'] as const) {
    client.on(event, (payload) => events.push([Date.now(), event, payload]));
  }
  return {
    name,
    client,
    events,
    disconnectedAt: () => events.filter(([, event]) => event === 'disconnected').map(([at]) => at),
    closeCodes: () => events.filter(([, event]) => event === 'disconnected').map(([, , payload]) => (payload as ClientEvents['disconnected']).code),
    instances: () => events.filter(([, event]) => event === 'connected').map(([, , payload]) => (payload as ClientEvents['connected']).instance),
  };
}

/** Resolves once the client is connected. */
export async function connectedNow(client: Client, timeoutMs = 20_000): Promise<void> {
  if (client.state === 'connected') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    const off = client.on('connected', () => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

export interface Delivery {
  readonly seq: number;
  readonly at: number;
}

export interface StreamSubscriber {
  readonly name: string;
  readonly deliveries: Delivery[];
  readonly gaps: string[];
  /** The first delivery at or after `from` (ms since the epoch). */
  firstAfter(from: number): Delivery | undefined;
}

/** Subscribes `who` to `channel`; every message the app gets goes to the tally under `who.name`. */
export async function tallySubscriber(tally: Tally, who: StreamClient, channel: string): Promise<StreamSubscriber> {
  const deliveries: Delivery[] = [];
  const gaps: string[] = [];
  const subscription = who.client.subscribe<{ seq: number }>(channel, (message) => {
    tally.receive(who.name, message.data.seq);
    deliveries.push({ seq: message.data.seq, at: Date.now() });
  });
  subscription.on('gap', (gap) => gaps.push(gap.code));
  await subscription.ready;
  return { name: who.name, deliveries, gaps, firstAfter: (from) => deliveries.find((delivery) => delivery.at >= from) };
}

export interface Stream {
  /** Publishes called and not settled yet. */
  inFlight(): number;
  /** Sequence numbers called and not settled yet. */
  pending(): number[];
  /** Time of each ack, by sequence number. */
  readonly ackedAt: Map<number, number>;
  /** Refusals by error code. */
  readonly refusals: Map<string, number>;
  /** The first ack at or after `from`. */
  firstAckAfter(from: number): number | undefined;
  /** Resolves when publish `seq` is acked (rejects if it is refused). */
  whenAcked(seq: number): Promise<void>;
  /** Publishes `count` at once (on top of the pace); resolves with their sequence numbers. */
  burst(count: number): number[];
  /** Stops publishing and waits until every publish was answered (or rejected). */
  stop(): Promise<void>;
}

/** Publishes `{ seq }` to `channel` at `perSecond`, numbering with the tally. */
export function startStream(tally: Tally, publisher: Client, channel: string, perSecond = 100): Stream {
  const pending = new Map<number, Promise<void>>();
  const ackedAt = new Map<number, number>();
  const refusals = new Map<string, number>();
  const publishOne = (): number => {
    const seq = tally.send();
    const settled = publisher.publish(channel, { seq }).then(
      () => {
        tally.ack(seq);
        ackedAt.set(seq, Date.now());
      },
      (error: unknown) => {
        tally.refuse();
        const code = (error as { code?: string }).code ?? String(error);
        refusals.set(code, (refusals.get(code) ?? 0) + 1);
      },
    );
    pending.set(seq, settled);
    void settled.finally(() => pending.delete(seq));
    return seq;
  };
  const started = Date.now();
  let issued = 0;
  // Paced by the clock, not by the timer: a late tick catches up, so the rate holds on a busy box.
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) * perSecond) / 1000);
    while (issued < due) {
      publishOne();
      issued += 1;
    }
  }, 10);
  return {
    inFlight: () => pending.size,
    pending: () => [...pending.keys()],
    ackedAt,
    refusals,
    firstAckAfter: (from) => {
      let first: number | undefined;
      for (const at of ackedAt.values()) if (at >= from && (first === undefined || at < first)) first = at;
      return first;
    },
    whenAcked: async (seq) => {
      await pending.get(seq);
      if (!ackedAt.has(seq)) throw new Error(`publish ${seq} was refused`);
    },
    burst: (count) => Array.from({ length: count }, () => publishOne()),
    stop: async () => {
      clearInterval(timer);
      while (pending.size > 0) await Promise.all([...pending.values()]);
    },
  };
}

/** Polls until `check` holds; fails naming what was awaited. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
