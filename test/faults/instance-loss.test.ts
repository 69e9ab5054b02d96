import { describe, expect, it } from 'vitest';
import { closeStreamClients, sleep, waitFor } from './support/clients-stream.js';
import { STREAM, startTwoInstanceStream } from './support/two-instance-stream.js';

const { rate: RATE, beforeMs: BEFORE_MS, afterMs: AFTER_MS, burst: BURST } = STREAM;

describe.each(['redis', 'kafka'] as const)('server instance loss on %s', (bus) => {
  it('SIGKILL of one of two instances mid-stream: clients fail over and resume; nothing acked lost, no duplicate or reorder at the app', async () => {
    const { instances, tally, publisher, clients, subscribers, names, stream } = await startTwoInstanceStream(bus, 'instance-loss', 'fil', RATE);
    await sleep(BEFORE_MS);
    // A burst on top of the pace, and the kill as soon as its first publish is acked: A has stored
    // some of it without acking, and the publisher resends those (same messageId) to B.
    const burst = stream.burst(BURST);
    await stream.whenAcked(burst[0]!);
    const inFlightAtKill = stream.inFlight();
    const killedAt = Date.now();
    await instances.servers[0].kill('SIGKILL');
    await sleep(AFTER_MS);
    await stream.stop();
    await waitFor(() => tally.complete(names), 'every acked message at every subscriber', 30_000);
    await sleep(500); // late duplicates would show up here

    const moved = subscribers.slice(0, 2);
    const failover = moved.map((subscriber) => (subscriber.firstAfter(Math.max(...clients[names.indexOf(subscriber.name)]!.disconnectedAt()))?.at ?? NaN) - killedAt);
    const publisherFailover = (stream.firstAckAfter(Math.max(...publisher.disconnectedAt())) ?? NaN) - killedAt;
    const report = tally.report(names, {
      bus,
      ratePerSecond: RATE,
      burst: BURST,
      inFlightAtKill,
      failoverMsA1: failover[0]!,
      failoverMsA2: failover[1]!,
      publisherFailoverMs: publisherFailover,
      refusedBy: JSON.stringify(Object.fromEntries(stream.refusals)),
      gaps: subscribers.flatMap((subscriber) => subscriber.gaps).length,
    });

    expect(report.lost, 'nothing acked is lost').toBe(0);
    expect(report.duplicated, 'no duplicate at the app').toBe(0);
    expect(report.reordered, 'no reorder at the app').toBe(0);
    expect(report.acked).toBeGreaterThan(RATE * ((BEFORE_MS + AFTER_MS) / 1000) * 0.8 + BURST);
    for (const client of [publisher, ...clients.slice(0, 2)]) {
      expect(client.instances(), `${client.name} moved from A to B`).toEqual(['a', 'b']);
      expect(client.closeCodes(), `${client.name} saw the connection drop without a close frame`).toEqual([1006]);
    }
    for (const client of clients.slice(2)) expect(client.instances(), `${client.name} stayed on B`).toEqual(['b']);
    for (const ms of [...failover, publisherFailover]) expect(ms).toBeLessThan(5000);
    closeStreamClients();
    expect(await instances.servers[1].stop()).toBe(0);
  }, 90_000);
});
