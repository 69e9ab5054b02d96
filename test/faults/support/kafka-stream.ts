import type { TestClient } from '../../../packages/server/test/support/test-client.js';
import type { Tally } from './tally.js';

/** One publish's fate: when it was sent and, once answered, how. */
interface Outcome {
  readonly sentAt: number;
  answeredAt?: number;
  code?: string;
  message?: string;
}

interface Frame {
  type?: string;
  id?: string;
  channel?: string;
  code?: string;
  message?: string;
  data?: { seq?: unknown; stream?: unknown };
}

/**
 * A steady stream of sequence-numbered publishes from one WebSocket client, counted in a Tally:
 * acks and `error` frames of the publisher by request id, deliveries of each subscriber by `seq`.
 * Only frames of this stream (`data.stream`) count.
 */
export class PublishStream {
  readonly outcomes: Outcome[] = [];
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;

  constructor(
    private readonly tally: Tally,
    private readonly name: string,
    private readonly publisher: TestClient,
    private readonly channel: string,
    subscribers: Readonly<Record<string, TestClient>>,
  ) {
    publisher.socket.on('message', (raw) => this.onPublisherFrame(raw.toString()));
    for (const [subscriber, client] of Object.entries(subscribers)) {
      client.socket.on('message', (raw) => {
        const frame = JSON.parse(raw.toString()) as Frame;
        if (frame.type === 'message' && frame.channel === channel && frame.data?.stream === name && typeof frame.data.seq === 'number') {
          tally.receive(subscriber, frame.data.seq);
        }
      });
    }
  }

  /** Publishes `ratePerSecond` messages a second (drift-corrected) until `stop()`. */
  start(ratePerSecond: number): void {
    this.startedAt = Date.now();
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - this.startedAt) * ratePerSecond) / 1000);
      while (this.outcomes.length < due) this.sendOne();
    }, 5);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Resolves once every publish got an ack or an error, or rejects after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.outcomes.some((outcome) => outcome.answeredAt === undefined)) {
      if (Date.now() > deadline) {
        throw new Error(`${this.outcomes.filter((outcome) => outcome.answeredAt === undefined).length} of ${this.outcomes.length} publishes unanswered after ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Publishes refused (error frames), with the time each took to be refused. */
  refusals(): { seq: number; sentAt: number; tookMs: number; code: string; message: string }[] {
    return this.outcomes.flatMap((outcome, seq) =>
      outcome.code === undefined || outcome.answeredAt === undefined
        ? []
        : [{ seq, sentAt: outcome.sentAt, tookMs: outcome.answeredAt - outcome.sentAt, code: outcome.code, message: outcome.message ?? '' }],
    );
  }

  /** Acked publishes with their latency. */
  acks(): { seq: number; sentAt: number; answeredAt: number; tookMs: number }[] {
    return this.outcomes.flatMap((outcome, seq) =>
      outcome.code !== undefined || outcome.answeredAt === undefined ? [] : [{ seq, sentAt: outcome.sentAt, answeredAt: outcome.answeredAt, tookMs: outcome.answeredAt - outcome.sentAt }],
    );
  }

  private sendOne(): void {
    const seq = this.tally.send();
    this.outcomes[seq] = { sentAt: Date.now() };
    this.publisher.send({ type: 'publish', channel: this.channel, data: { stream: this.name, seq }, id: `${this.name}-${seq}` });
  }

  private onPublisherFrame(raw: string): void {
    const frame = JSON.parse(raw) as Frame;
    const prefix = `${this.name}-`;
    if (typeof frame.id !== 'string' || !frame.id.startsWith(prefix)) return;
    const seq = Number(frame.id.slice(prefix.length));
    const outcome = this.outcomes[seq];
    if (outcome === undefined || outcome.answeredAt !== undefined) return;
    if (frame.type === 'ack') {
      outcome.answeredAt = Date.now();
      this.tally.ack(seq);
    } else if (frame.type === 'error') {
      outcome.answeredAt = Date.now();
      outcome.code = String(frame.code);
      outcome.message = String(frame.message);
      this.tally.refuse();
    }
  }
}
