import { appendFileSync, mkdirSync } from 'node:fs';

/** One fault test's counts, as docs/reliability.md reports them. */
export interface TallyReport {
  readonly test: string;
  readonly sent: number;
  readonly acked: number;
  readonly refused: number;
  /** Per subscriber: messages received (duplicates included). */
  readonly delivered: readonly number[];
  /** Acked but never delivered, summed over subscribers. */
  readonly lost: number;
  readonly duplicated: number;
  readonly reordered: number;
  /** Anything else worth a figure (failover time, refusal reasons...). */
  readonly extra?: Readonly<Record<string, number | string>>;
}

/**
 * Counts a stream of sequence-numbered messages: what was sent, acked and refused, and what each
 * subscriber received. `lost` counts only acked messages: a refused publish was never promised.
 */
export class Tally {
  private sent = 0;
  private readonly acked = new Set<number>();
  private refused = 0;
  private readonly received = new Map<string, number[]>();

  constructor(private readonly test: string) {}

  send(): number {
    return this.sent++;
  }

  ack(seq: number): void {
    this.acked.add(seq);
  }

  refuse(): void {
    this.refused += 1;
  }

  receive(subscriber: string, seq: number): void {
    const list = this.received.get(subscriber) ?? [];
    list.push(seq);
    this.received.set(subscriber, list);
  }

  /** Every acked message reached every subscriber (duplicates allowed here; `report` counts them). */
  complete(subscribers: readonly string[]): boolean {
    return subscribers.every((name) => {
      const seen = new Set(this.received.get(name) ?? []);
      return [...this.acked].every((seq) => seen.has(seq));
    });
  }

  report(subscribers: readonly string[], extra?: TallyReport['extra']): TallyReport {
    let lost = 0;
    let duplicated = 0;
    let reordered = 0;
    for (const name of subscribers) {
      const list = this.received.get(name) ?? [];
      const seen = new Set<number>();
      let last = -1;
      for (const seq of list) {
        if (seen.has(seq)) duplicated += 1;
        else if (seq < last) reordered += 1;
        seen.add(seq);
        last = Math.max(last, seq);
      }
      for (const seq of this.acked) if (!seen.has(seq)) lost += 1;
    }
    const report: TallyReport = {
      test: this.test,
      sent: this.sent,
      acked: this.acked.size,
      refused: this.refused,
      delivered: subscribers.map((name) => this.received.get(name)?.length ?? 0),
      lost,
      duplicated,
      reordered,
      ...(extra === undefined ? {} : { extra }),
    };
    // Printed and kept: CI's log shows the figures, and docs/reliability.md takes its table from the file.
    process.stdout.write(`[faults] ${JSON.stringify(report)}\n`);
    mkdirSync('test-results', { recursive: true });
    appendFileSync('test-results/faults.jsonl', `${JSON.stringify(report)}\n`);
    return report;
  }
}
