import { describe, expect, it } from 'vitest';
import { closeStreamClients, sleep, waitFor } from './support/clients-stream.js';
import { STREAM, startTwoInstanceStream } from './support/two-instance-stream.js';

const { rate: RATE, beforeMs: BEFORE_MS, afterMs: AFTER_MS, burst: BURST } = STREAM;

describe.each(['redis', 'kafka'] as const)('graceful shutdown on %s', (bus) => {
  it('SIGTERM of one of two instances mid-stream: clients move on 1001 to the next url; nothing acked lost, no duplicate at the app', async () => {
    const { instances, tally, publisher, clients, subscribers, names, stream } = await startTwoInstanceStream(bus, 'graceful-shutdown', 'fgs', RATE);
    await sleep(BEFORE_MS);
    // A burst on top of the pace, and the SIGTERM as it goes out: A gets some of it to the bus
    // (answered before the 1001) and may stop reading before the rest (sent again to B).
    stream.burst(BURST);
    await sleep(1);
    const inFlight = stream.pending();
    const termAt = Date.now();
    const exitCode = instances.servers[0].stop();
    await sleep(AFTER_MS);
    await stream.stop();
    expect(await exitCode, 'A exits 0 after SIGTERM').toBe(0);
    await waitFor(() => tally.complete(names), 'every acked message at every subscriber', 30_000);
    await sleep(500); // late duplicates would show up here

    const closedAt = Math.min(...publisher.disconnectedAt());
    const answeredByA = inFlight.filter((seq) => (stream.ackedAt.get(seq) ?? Infinity) <= closedAt).length;
    const connectedAgainAt = publisher.events.find(([at, event]) => event === 'connected' && at >= termAt)?.[0] ?? NaN;
    const moveMs = clients.slice(0, 2).map((client, index) => (subscribers[index]!.firstAfter(Math.min(...client.disconnectedAt()))?.at ?? NaN) - termAt);
    const report = tally.report(names, {
      bus,
      ratePerSecond: RATE,
      burst: BURST,
      inFlightAtSigterm: inFlight.length,
      inFlightAnsweredByA: answeredByA,
      inFlightResentToB: inFlight.length - answeredByA,
      sigtermTo1001Ms: closedAt - termAt,
      publisherMoveMs: connectedAgainAt - termAt,
      moveMsA1: moveMs[0]!,
      moveMsA2: moveMs[1]!,
      refusedBy: JSON.stringify(Object.fromEntries(stream.refusals)),
      gaps: subscribers.flatMap((subscriber) => subscriber.gaps).length,
    });

    expect(report.lost, 'nothing acked is lost').toBe(0);
    expect(report.duplicated, 'no duplicate at the app').toBe(0);
    expect(report.reordered, 'no reorder at the app').toBe(0);
    expect(report.refused, 'a graceful shutdown refuses nothing').toBe(0);
    for (const client of [publisher, ...clients.slice(0, 2)]) {
      expect(client.closeCodes(), `${client.name} was told 1001`).toEqual([1001]);
      expect(client.instances(), `${client.name} moved from A to B`).toEqual(['a', 'b']);
    }
    for (const client of clients.slice(2)) expect(client.instances(), `${client.name} stayed on B`).toEqual(['b']);
    for (const ms of [...moveMs, connectedAgainAt - termAt]) expect(ms).toBeLessThan(5000);
    closeStreamClients();
    expect(await instances.servers[1].stop()).toBe(0);
  }, 90_000);
});
