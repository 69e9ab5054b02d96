import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { killServerProcesses, spawnServer } from '../../packages/server/test/support/server-process.js';
import { TestClient } from '../../packages/server/test/support/test-client.js';
import { sleep, waitFor } from './support/clients-stream.js';
import { Tally } from './support/tally.js';

const open: TestClient[] = [];
afterEach(() => {
  for (const client of open.splice(0)) client.socket.terminate();
  killServerProcesses();
});

/**
 * SEND_BUFFER_LIMIT_BYTES. It is also how far behind a fast reader may fall before it too is
 * closed: 262,144 bytes are 0.73 s of this stream (300 frames/s of 1.2 KB). At 65,536 (0.18 s) a CI
 * machine busy with restarting Kafka nodes starved this test process, and the fast readers were
 * closed with 4008 as well (reproduced with a second process spinning on one core).
 */
const LIMIT = 262_144;
const SLOW = 1000;
const FAST = 5;
const RATE = 300; // msg/s
const PAD = 'x'.repeat(1000); // ~1 KiB of data per message
const STREAM_MS = 15_000;
const BASELINE_MS = 3000;
/** One message frame as the server sends it: the ~1 KiB pad, seq, timestamp, channel, position... */
const FRAME_BYTES = 1200;
/** GC headroom, V8 heap growth and per-socket kernel/ws bookkeeping the limit does not cover. */
const SLACK_BYTES = 64 * 1024 * 1024;

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((text) => text.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) * 1024;
}

async function disconnects(base: string, reason: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith('realtime_disconnects_total{') && entry.includes(`reason="${reason}"`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}

/** A fast subscriber: every message goes to the tally and its latency (now − the publisher's timestamp) to `latencies`. */
async function fastClient(ws: string, channel: string, tally: Tally, name: string, latencies: number[]): Promise<TestClient> {
  const client = await TestClient.connect(ws);
  open.push(client);
  client.socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type: string; channel?: string; data?: { seq: number; t: number } };
    if (frame.type !== 'message' || frame.channel !== channel || frame.data === undefined) return;
    latencies.push(Date.now() - frame.data.t);
    tally.receive(name, frame.data.seq);
  });
  expect((await client.subscribe(channel)).type).toBe('ack');
  return client;
}

describe('1,000 slow consumers on one server (BUS=memory, SEND_BUFFER_LIMIT_BYTES=262144)', () => {
  it('slow readers are closed with 4008, RSS stays bounded, fast readers get everything in order', async () => {
    const server = spawnServer({ BUS: 'memory', SEND_BUFFER_LIMIT_BYTES: String(LIMIT), PUBLISH_RATE_PER_CONNECTION: '0', PORT: '0', HEARTBEAT_INTERVAL_MS: '600000' });
    const base = await server.listening();
    const pid = server.child.pid as number;
    const ws = `${base.replace(/^http/, 'ws')}/ws`;
    const publisher = await TestClient.connect(ws);
    open.push(publisher);

    async function run(tally: Tally, channel: string, names: string[], ms: number): Promise<void> {
      const acks: Promise<void>[] = [];
      const started = Date.now();
      let sent = 0;
      while (Date.now() - started < ms) {
        const due = Math.floor(((Date.now() - started) / 1000) * RATE);
        for (; sent < due; sent += 1) {
          const seq = tally.send();
          acks.push(
            publisher.publish(channel, { seq, t: Date.now(), pad: PAD }).then((reply) => {
              if (reply.type === 'ack') tally.ack(seq);
              else tally.refuse();
            }),
          );
        }
        await sleep(5);
      }
      await Promise.all(acks);
      await waitFor(() => tally.complete(names), 'every acked message at every fast client', 15_000);
      await sleep(300); // late duplicates would show up here
    }

    // Without slow clients: the latency to compare with.
    const baseTally = new Tally('slow-consumers-baseline');
    const baseLatencies: number[] = [];
    const baseNames = Array.from({ length: FAST }, (_, i) => `fast-${i}`);
    await Promise.all(baseNames.map((name) => fastClient(ws, 'game:slow-base', baseTally, name, baseLatencies)));
    await run(baseTally, 'game:slow-base', baseNames, BASELINE_MS);
    const baseReport = baseTally.report(baseNames, { phase: 'no slow clients', ratePerSecond: RATE, p50Ms: percentile(baseLatencies, 50), p99Ms: percentile(baseLatencies, 99) });
    expect(baseReport.lost + baseReport.duplicated + baseReport.reordered).toBe(0);

    // 1,000 clients that subscribe, then never read again: their TCP windows fill, the server's buffer grows.
    const channel = 'game:slow';
    for (let i = 0; i < SLOW; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, SLOW - i) }, async () => {
          const client = await TestClient.connect(ws);
          open.push(client);
          expect((await client.subscribe(channel)).type).toBe('ack');
          (client.socket as unknown as { _socket: Socket })._socket.pause();
        }),
      );
    }
    const tally = new Tally('slow-consumers');
    const latencies: number[] = [];
    const names = Array.from({ length: FAST }, (_, i) => `fast-${i}`);
    await Promise.all(names.map((name) => fastClient(ws, channel, tally, name, latencies)));

    await sleep(500);
    const baselineRss = rssBytes(pid);
    // Bound: what the server holds before the stream, plus each slow client's buffer up to the limit
    // and the one frame that crosses it (then it is closed), plus slack for GC and V8 heap growth:
    // baseline + 1000 × (262144 + 1200) + 64 MiB ≈ baseline + 315 MiB.
    const bound = baselineRss + SLOW * (LIMIT + FRAME_BYTES) + SLACK_BYTES;
    let peakRss = baselineRss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssBytes(pid));
    }, 100);
    try {
      await run(tally, channel, names, STREAM_MS);
    } finally {
      clearInterval(sampler);
    }
    const closed4008 = await disconnects(base, 'send_buffer_full');
    const report = tally.report(names, {
      phase: `${SLOW} slow clients`,
      ratePerSecond: RATE,
      streamMs: STREAM_MS,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      baselineP50Ms: baseReport.extra?.['p50Ms'] ?? NaN,
      baselineP99Ms: baseReport.extra?.['p99Ms'] ?? NaN,
      closed4008,
      baselineRssMiB: +(baselineRss / 2 ** 20).toFixed(1),
      peakRssMiB: +(peakRss / 2 ** 20).toFixed(1),
      rssBoundMiB: +(bound / 2 ** 20).toFixed(1),
    });
    expect(report.lost).toBe(0);
    expect(report.duplicated).toBe(0);
    expect(report.reordered).toBe(0);
    expect(peakRss).toBeLessThan(bound);
    expect(closed4008).toBe(SLOW);
    // 3 s baseline, 1,000 connects, the 15 s stream and up to 15 s of drain: past vitest's 30 s default on a busy machine.
  }, 90_000);
});
