import WebSocket from 'ws';
import { Tally } from './tally.js';

/** A well-behaved client: connects with a token, subscribes, and hands `message` frames to `onMessage`. */
async function open(url: string, token: string, onMessage: (frame: Record<string, unknown>) => void): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  ws.on('message', (data) => onMessage(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

function request(ws: WebSocket, frames: Map<string, (frame: Record<string, unknown>) => void>, frame: Record<string, unknown>, id: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    frames.set(id, resolve);
    ws.send(JSON.stringify({ ...frame, id }));
  });
}

/**
 * Subscribers and one publisher on the fuzzed server, publishing at a steady rate round the
 * channels; one Tally per channel (there is no order across channels) says whether every acked
 * message reached every subscriber once and in order.
 */
export class SteadyStream {
  readonly tallies: Map<string, Tally>;
  private publisher: WebSocket | undefined;
  private readonly subscribers: WebSocket[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sent = 0;
  readonly closes: number[] = [];
  readonly problems: string[] = [];

  constructor(
    private readonly channels: readonly string[],
    private readonly subscriberCount: number,
    private readonly ratePerSecond: number,
  ) {
    this.tallies = new Map(channels.map((channel) => [channel, new Tally(`fuzz: steady stream on ${channel} beside the fuzz`)]));
  }

  get names(): string[] {
    return Array.from({ length: this.subscriberCount }, (_, n) => `sub${n}`);
  }

  async start(url: string, token: string): Promise<void> {
    for (const name of this.names) {
      const waiting = new Map<string, (frame: Record<string, unknown>) => void>();
      const ws = await open(url, token, (frame) => {
        if (frame['type'] === 'message') {
          const data = frame['data'] as { seq?: unknown } | null;
          const tally = this.tallies.get(String(frame['channel']));
          if (tally !== undefined && frame['user'] === 'steady' && typeof data?.seq === 'number') tally.receive(name, data.seq);
          return;
        }
        const resolve = waiting.get(String(frame['id']));
        if (resolve !== undefined) resolve(frame);
        else if (frame['type'] !== 'welcome') this.problems.push(`${name}: ${JSON.stringify(frame).slice(0, 200)}`);
      });
      ws.on('close', (code) => this.closes.push(code));
      for (const channel of this.channels) {
        const answer = await request(ws, waiting, { type: 'subscribe', channel }, `s:${channel}`);
        if (answer['type'] !== 'ack') throw new Error(`${name} could not subscribe to ${channel}: ${JSON.stringify(answer)}`);
      }
      this.subscribers.push(ws);
    }
    const acks = new Map<string, () => void>();
    this.publisher = await open(url, token, (frame) => {
      const id = String(frame['id']);
      if (frame['type'] === 'ack') acks.get(id)?.();
      else if (frame['type'] === 'error') {
        this.problems.push(`publisher: ${JSON.stringify(frame).slice(0, 200)}`);
        const [channel] = id.split('#');
        this.tallies.get(channel ?? '')?.refuse();
      }
      acks.delete(id);
    });
    this.publisher.on('close', (code) => this.closes.push(code));
    const startedAt = Date.now();
    // Catches up on late timer ticks, so the rate stays what it says under load.
    this.timer = setInterval(() => {
      const due = Math.floor(((Date.now() - startedAt) * this.ratePerSecond) / 1000);
      while (this.sent < due && this.publisher?.readyState === WebSocket.OPEN) {
        const channel = this.channels[this.sent % this.channels.length]!;
        this.sent += 1;
        const tally = this.tallies.get(channel)!;
        const seq = tally.send();
        const id = `${channel}#${seq}`;
        acks.set(id, () => tally.ack(seq));
        this.publisher.send(JSON.stringify({ type: 'publish', channel, data: { seq }, id }));
      }
    }, 5);
  }

  /** Stops publishing, waits up to `timeoutMs` for every acked message to arrive, and reports each channel's Tally. */
  async stop(timeoutMs: number, extra: Record<string, number | string>): Promise<ReturnType<Tally['report']>[]> {
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && ![...this.tallies.values()].every((tally) => tally.complete(this.names))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const reports = [...this.tallies.values()].map((tally) => tally.report(this.names, extra));
    for (const ws of [...this.subscribers, this.publisher]) ws?.close(1000);
    return reports;
  }
}
