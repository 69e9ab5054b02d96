import { isUtf8 } from 'node:buffer';
import WebSocket from 'ws';
import { DOCUMENTED_CLOSE_CODES, serverFrameProblem } from './fuzz-docs.js';
import { expectedAnswer, PARSE_ERROR_CODES, type FuzzFrame } from './fuzz-frames.js';

/** Counts over every lane of a fuzz run: outcomes per frame, per kind, failures (with samples). */
export class FuzzStats {
  readonly outcomes = new Map<string, number>();
  readonly byKind = new Map<string, Map<string, number>>();
  /** Server frames no fuzz frame asked for: messages of subscribed channels, join/leave, unsubscribed... */
  readonly unsolicited = new Map<string, number>();
  readonly closes = new Map<number, number>();
  readonly failureSamples: string[] = [];
  failures = 0;
  frames = 0;
  probes = 0;
  connections = 0;

  count(kind: string, outcome: string): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    const kinds = this.byKind.get(kind) ?? new Map<string, number>();
    kinds.set(outcome, (kinds.get(outcome) ?? 0) + 1);
    this.byKind.set(kind, kinds);
  }

  other(what: string): void {
    this.unsolicited.set(what, (this.unsolicited.get(what) ?? 0) + 1);
  }

  fail(problem: string): void {
    this.failures += 1;
    if (this.failureSamples.length < 40) this.failureSamples.push(problem);
  }
}

interface Pending {
  readonly kind: string;
  readonly expect: { code?: string; parsed?: true };
  readonly replies: string[];
  readonly text: string;
}

const PROBE_CHANNEL = 'zz:probe';
const WINDOW = 24;

/**
 * One fuzz connection: sends frames pipelined (up to WINDOW unanswered), matches every answer to
 * its frame, and checks it against docs/protocol.md. A frame carrying the lane's request id is
 * answered by id; a frame whose id the server cannot read is followed by a probe (an unsubscribe
 * from a channel never subscribed, answered `not_subscribed` in frame order), and the id-less
 * errors before the probe's answer are that frame's. A frame the documents say closes the
 * connection (over MAX_FRAME_BYTES: 1009; text that is not UTF-8: 1007) is sent alone, after
 * everything before it was answered, and must close it with that code.
 */
export class FuzzConnection {
  private readonly pending = new Map<string, Pending>();
  private readonly probes = new Map<string, { kind: string; expect: { code?: string; parsed?: true } }>();
  private idless: string[] = [];
  private wake: (() => void) | undefined;
  private closeCode: number | undefined;
  private expectedClose: number | undefined;
  private readonly closed: Promise<number>;
  private probeSerial = 0;

  private constructor(
    private readonly ws: WebSocket,
    private readonly stats: FuzzStats,
    private readonly tag: string,
    private readonly maxFrameBytes: number,
  ) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        this.stats.closes.set(code, (this.stats.closes.get(code) ?? 0) + 1);
        if (!DOCUMENTED_CLOSE_CODES.has(code)) this.stats.fail(`${tag}: undocumented close code ${code}`);
        this.poke();
        resolve(code);
      }),
    );
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
  }

  static async open(url: string, token: string, stats: FuzzStats, tag: string, maxFrameBytes: number): Promise<FuzzConnection> {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    const connection = new FuzzConnection(ws, stats, tag, maxFrameBytes);
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
      ws.once('close', (code) => reject(new Error(`${tag}: closed ${code} before welcome`)));
    });
    stats.connections += 1;
    return connection;
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private get outstanding(): number {
    return this.pending.size + this.probes.size;
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    if (isBinary) {
      this.stats.fail(`${this.tag}: binary frame from the server`);
      return;
    }
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(String(data)) as Record<string, unknown>;
    } catch {
      this.stats.fail(`${this.tag}: server frame is not JSON: ${String(data).slice(0, 100)}`);
      return;
    }
    const problem = serverFrameProblem(frame);
    if (problem !== undefined) this.stats.fail(`${this.tag}: ${problem}: ${JSON.stringify(frame).slice(0, 200)}`);
    const type = String(frame['type']);
    const id = frame['id'];
    if (type === 'welcome') return;
    if ((type === 'ack' || type === 'error' || type === 'presence') && typeof id === 'string') {
      const label = type === 'error' ? `error:${String(frame['code'])}` : type;
      const tracked = this.pending.get(id);
      if (tracked !== undefined) {
        tracked.replies.push(label);
        // position_expired is followed by the subscribe's ack; everything else answers the frame.
        if (label !== 'error:position_expired') {
          this.pending.delete(id);
          this.settle(tracked.kind, tracked.expect, tracked.replies.join('+'), tracked.text);
        }
      } else if (this.probes.has(id)) {
        const probe = this.probes.get(id)!;
        this.probes.delete(id);
        if (label !== 'error:not_subscribed') this.stats.fail(`${this.tag}: probe answered ${label}`);
        const outcome = this.idless.splice(0).join('+');
        this.settle(probe.kind, probe.expect, outcome === '' ? 'silent' : outcome, '');
      } else {
        this.stats.fail(`${this.tag}: ${label} for an id that has no frame waiting: ${id}`);
      }
      this.poke();
      return;
    }
    if (type === 'error') {
      // A refresh that takes `presence` away reports it without an id; that is not the next frame's answer.
      if (frame['code'] === 'forbidden') this.stats.other('error:forbidden (no id)');
      else this.idless.push(`error:${String(frame['code'])}`);
      return;
    }
    this.stats.other(type === 'presence' ? 'presence (no id)' : type);
  }

  private settle(kind: string, expect: { code?: string; parsed?: true }, outcome: string, text: string): void {
    this.stats.count(kind, outcome);
    const codes = outcome.split('+');
    if (codes.includes('error:internal_error')) this.stats.fail(`${this.tag}: internal_error for ${kind}: ${text.slice(0, 200)}`);
    if (expect.code !== undefined && outcome !== `error:${expect.code}`) {
      this.stats.fail(`${this.tag}: ${kind} expected error:${expect.code}, got ${outcome}: ${text.slice(0, 200)}`);
    } else if (expect.parsed === true && codes.some((code) => PARSE_ERROR_CODES.has(code.slice('error:'.length)))) {
      this.stats.fail(`${this.tag}: well-formed ${kind} refused as ${outcome}: ${text.slice(0, 200)}`);
    }
  }

  private async changed(): Promise<void> {
    if (this.closeCode !== undefined) return;
    await new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** Waits until every frame sent is answered; false (and failures counted) if the connection closed or time ran out. */
  private async drain(timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.outstanding > 0 && this.closeCode === undefined && Date.now() < deadline) {
      await Promise.race([this.changed(), new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    if (this.outstanding === 0) return true;
    const why = this.closeCode === undefined ? 'no answer within time' : `closed ${this.closeCode}`;
    for (const entry of [...this.pending.values(), ...this.probes.values()]) this.stats.fail(`${this.tag}: ${entry.kind} unanswered (${why})`);
    this.pending.clear();
    this.probes.clear();
    return false;
  }

  /**
   * Sends `frames` from `start` until one closes the connection or the end; returns the index of
   * the next frame to send (on a new connection).
   */
  async pump(frames: readonly FuzzFrame[], start: number): Promise<number> {
    let index = start;
    while (index < frames.length) {
      if (this.closeCode !== undefined) {
        this.stats.fail(`${this.tag}: connection closed ${this.closeCode} unasked, before ${frames[index]?.kind}`);
        await this.drain(0);
        return index;
      }
      const frame = frames[index]!;
      const id = `${this.tag}.${index}`;
      index += 1;
      const payload = frame.build(id);
      const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
      const fatal = bytes > this.maxFrameBytes ? 1009 : !frame.binary && typeof payload !== 'string' && !isUtf8(payload) ? 1007 : undefined;
      this.stats.frames += 1;
      if (fatal !== undefined) {
        await this.drain();
        this.expectedClose = fatal;
        this.ws.send(payload, { binary: frame.binary });
        const code = await Promise.race([this.closed, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000))]);
        this.stats.count(frame.kind, `close:${code}`);
        if (code !== fatal) this.stats.fail(`${this.tag}: ${frame.kind} of ${bytes} bytes expected close ${fatal}, got ${code}`);
        if (code === 'timeout') this.ws.terminate();
        return index;
      }
      this.ws.send(payload, { binary: frame.binary });
      const text = frame.binary ? undefined : typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
      const expect = text === undefined ? { code: 'binary_unsupported' } : expectedAnswer(text);
      if (text !== undefined && isTracked(text, id)) {
        this.pending.set(id, { kind: frame.kind, expect, replies: [], text });
      } else {
        const probeId = `${this.tag}.p${this.probeSerial++}`;
        this.probes.set(probeId, { kind: frame.kind, expect });
        this.stats.probes += 1;
        this.ws.send(`{"type":"unsubscribe","channel":"${PROBE_CHANNEL}","id":"${probeId}"}`);
      }
      while (this.outstanding >= WINDOW && this.closeCode === undefined) await this.changed();
    }
    await this.drain();
    return index;
  }

  /** Drains, then closes with 1000. */
  async close(): Promise<void> {
    await this.drain();
    if (this.closeCode === undefined) this.ws.close(1000);
    const code = await Promise.race([this.closed, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000))]);
    if (code === 'timeout') {
      this.stats.fail(`${this.tag}: no close within 5 s`);
      this.ws.terminate();
    }
  }

  get expected(): number | undefined {
    return this.expectedClose;
  }
}

/** The server can read the frame's id (and so echoes it): JSON object whose `id` is ours. */
function isTracked(text: string, id: string): boolean {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) && (value as Record<string, unknown>)['id'] === id;
  } catch {
    return false;
  }
}

/** Runs one lane's frames over as many connections as its closing frames need. */
export async function runLane(url: string, token: string, frames: readonly FuzzFrame[], stats: FuzzStats, tag: string, maxFrameBytes: number): Promise<void> {
  let index = 0;
  let round = 0;
  while (index < frames.length) {
    const connection = await FuzzConnection.open(url, token, stats, `${tag}c${round++}`, maxFrameBytes);
    index = await connection.pump(frames, index);
    await connection.close();
  }
}
