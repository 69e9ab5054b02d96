import { describe, expect, it } from 'vitest';
import { tokens } from '../src/index.js';
import { PublishRate } from '../src/publish-rate.js';
import { ManualClock } from './support/manual-clock.js';
import { swappedParts } from './support/swapped-parts.js';
import { connect, startTestServer } from './support/test-server.js';

describe('PublishRate (token bucket)', () => {
  it('allows the burst at once, then one publish per 1/rate seconds', () => {
    const rate = new PublishRate({ ratePerSecond: 10, burst: 3 }, 0);
    expect([rate.take(0), rate.take(0), rate.take(0)]).toEqual(['allowed', 'allowed', 'allowed']);
    expect(rate.take(0)).toBe('limited');
    expect(rate.take(50)).toBe('limited');
    expect(rate.take(100)).toBe('allowed');
    // A quiet second refills the bucket to the burst, never past it.
    expect([rate.take(5000), rate.take(5000), rate.take(5000), rate.take(5000)]).toEqual(['allowed', 'allowed', 'allowed', 'limited']);
  });

  it('calls it flooding once the refusals ignored pass the burst, and forgives a client that backs off', () => {
    const rate = new PublishRate({ ratePerSecond: 10, burst: 3 }, 0);
    for (let index = 0; index < 3; index += 1) rate.take(0);
    expect([rate.take(0), rate.take(0), rate.take(0)]).toEqual(['limited', 'limited', 'limited']);
    expect(rate.take(0)).toBe('flooding');
    const patient = new PublishRate({ ratePerSecond: 10, burst: 3 }, 0);
    let now = 0;
    const verdicts = new Set<string>();
    // Twice the allowed rate for ten seconds: refused half the time, never flooding.
    for (let index = 0; index < 200; index += 1) {
      now += 50;
      verdicts.add(patient.take(now));
    }
    expect(verdicts).toEqual(new Set(['allowed', 'limited']));
  });
});

describe('PUBLISH_RATE_PER_CONNECTION', () => {
  it('answers rate_limited past the burst, publishes nothing of it, and closes a client that keeps flooding with 4029', async () => {
    const server = await startTestServer({ config: { publishRatePerConnection: 1, publishBurstPerConnection: 5 } });
    const flooder = await connect(server);
    const watcher = await connect(server);
    await watcher.subscribe('room:1');
    const answers = [];
    for (let index = 0; index < 7; index += 1) answers.push(await flooder.publish('room:1', index));
    expect(answers.slice(0, 5).map((answer) => answer.type)).toEqual(['ack', 'ack', 'ack', 'ack', 'ack']);
    expect(answers[5]).toMatchObject({ type: 'error', code: 'rate_limited', channel: 'room:1' });
    expect(String(answers[5]?.['message'])).toContain('1 publishes per second');
    for (let index = 7; index < 20; index += 1) flooder.send({ type: 'publish', channel: 'room:1', data: index });
    expect(await flooder.closed).toEqual({ code: 4029, reason: 'publish rate exceeded' });
    expect((await watcher.waitForMessages('room:1', 5)).map((frame) => frame.data)).toEqual([0, 1, 2, 3, 4]);
    expect(await watcher.publish('room:1', 'others go on')).toMatchObject({ type: 'ack' });
    const text = await server.metrics.registry.getSingleMetricAsString('realtime_disconnects_total');
    expect(text).toContain('reason="publish_flood"} 1');
  });

  it('limits each connection on its own, and 0 turns the limit off', async () => {
    const limited = await startTestServer({ config: { publishRatePerConnection: 1, publishBurstPerConnection: 2 } });
    const [first, second] = [await connect(limited), await connect(limited)];
    for (const client of [first, second]) {
      expect((await client.publish('room:1', 'a')).type).toBe('ack');
      expect((await client.publish('room:1', 'b')).type).toBe('ack');
      expect((await client.publish('room:1', 'c')).type).toBe('error');
    }
    const open = await connect(await startTestServer({ config: { publishRatePerConnection: 0 } }));
    const answers = await Promise.all(Array.from({ length: 500 }, (_, index) => open.publish('room:1', index)));
    expect(answers.every((answer) => answer.type === 'ack')).toBe(true);
  });

  it('earns publishes back on the server clock: a second on a swapped clock refills the bucket, without waiting', async () => {
    const clock = new ManualClock();
    const server = await startTestServer({ config: { publishRatePerConnection: 2, publishBurstPerConnection: 2 }, container: swappedParts([[tokens.CLOCK, clock]]) });
    const client = await connect(server);
    expect((await client.publish('room:1', 1)).type).toBe('ack');
    expect((await client.publish('room:1', 2)).type).toBe('ack');
    expect(await client.publish('room:1', 3)).toMatchObject({ type: 'error', code: 'rate_limited' });
    // However long the test takes in real time, the bucket only refills as the clock moves.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await client.publish('room:1', 4)).toMatchObject({ type: 'error', code: 'rate_limited' });
    clock.advance(1000);
    expect((await client.publish('room:1', 5)).type).toBe('ack');
    expect((await client.publish('room:1', 6)).type).toBe('ack');
    expect(await client.publish('room:1', 7)).toMatchObject({ type: 'error', code: 'rate_limited' });
  });
});
