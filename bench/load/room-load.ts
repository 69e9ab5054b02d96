import { performance } from 'node:perf_hooks';
import type { BenchConnection } from '../clients/bench-connection.js';
import { connectOurs } from '../clients/ours-client.js';
import { connectSocketIo } from '../clients/socket-io-client.js';
import type { ConnectCommand, LoadResult, RunCommand } from './load-protocol.js';
import { sendOnSchedule } from './steady-schedule.js';

const CONNECT_ATTEMPTS = 3;

/** One player: its connection, its room, and what it has received so far. */
interface Player {
  readonly connection: BenchConnection;
  readonly room: number;
  seen: Uint8Array;
  maxSeq: number;
}

export interface Players {
  readonly list: Player[];
  readonly channels: readonly string[];
  readonly players: number;
  readonly failed: number;
  readonly firstError?: string;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function openOne(cmd: ConnectCommand, url: string, channel: string): Promise<BenchConnection> {
  let last: unknown;
  for (let attempt = 0; attempt < CONNECT_ATTEMPTS; attempt++) {
    try {
      const connection =
        cmd.client === 'ours' ? await connectOurs(url, cmd.startTimeoutMs, cmd.requestTimeoutMs) : await connectSocketIo(url, cmd.startTimeoutMs, cmd.requestTimeoutMs);
      if (cmd.subscribe) await connection.join(channel);
      return connection;
    } catch (error) {
      last = error;
      // A refused connect under a burst (backlog full) usually succeeds a moment later.
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
  throw last instanceof Error ? last : new Error(message(last));
}

/**
 * Connects `players` per room, `concurrency` at a time. Player p of room r is on instance
 * (r + p) % 2, so a room's players alternate between A and B and the publishers (player 0) are
 * spread over both instances.
 */
export async function connectPlayers(cmd: ConnectCommand): Promise<Players> {
  const total = cmd.channels.length * cmd.players;
  const slots: (Player | undefined)[] = new Array<Player | undefined>(total);
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async (): Promise<void> => {
    while (next < total) {
      const index = next++;
      const room = Math.floor(index / cmd.players);
      const url = cmd.urls[(room + (index % cmd.players)) % 2] as string;
      try {
        const connection = await openOne(cmd, url, cmd.channels[room] as string);
        slots[index] = { connection, room, seen: new Uint8Array(0), maxSeq: -1 };
      } catch (error) {
        failed += 1;
        firstError ??= message(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cmd.concurrency, total) }, lane));
  const list = slots.filter((p): p is Player => p !== undefined);
  return { list, channels: cmd.channels, players: cmd.players, failed, ...(firstError === undefined ? {} : { firstError }) };
}

/**
 * Each room's first player publishes `ratePerRoom` messages a second for `durationMs`. Sends are
 * spread evenly: slot j goes to room j % R at t0 + j / (R × rate), so the load is a steady stream,
 * not a burst per second. Then waits until everything arrived or nothing did for `idleMs`.
 */
export async function runLoad(players: Players, cmd: RunCommand): Promise<LoadResult> {
  const rooms = players.channels.length;
  const perRoom = Math.max(1, Math.floor((cmd.ratePerRoom * cmd.durationMs) / 1000));
  const total = rooms * perRoom;
  const intervalMs = 1000 / (cmd.ratePerRoom * rooms);
  const publishers: (Player | undefined)[] = new Array<Player | undefined>(rooms);
  const members = new Array<number>(rooms).fill(0);
  const latencies = new Float64Array(total * players.players);
  let delivered = 0;
  let duplicates = 0;
  let reordered = 0;
  let lastDeliveryAt = 0;
  for (const player of players.list) {
    player.seen = new Uint8Array(perRoom);
    player.maxSeq = -1;
    members[player.room] = (members[player.room] ?? 0) + 1;
    if (publishers[player.room] === undefined) publishers[player.room] = player;
    const channel = players.channels[player.room];
    player.connection.onDelivery((got, payload) => {
      if (got !== channel) return;
      const seq = payload.s;
      if (!Number.isInteger(seq) || seq < 0 || seq >= perRoom) return;
      const now = performance.now();
      if (player.seen[seq] === 1) {
        duplicates += 1;
        return;
      }
      player.seen[seq] = 1;
      if (seq < player.maxSeq) reordered += 1;
      else player.maxSeq = seq;
      latencies[delivered++] = now - payload.t;
      lastDeliveryAt = now;
    });
  }

  let expected = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let publishErrors = 0;
  let firstPublishError: string | undefined;
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  const { maxLagMs: maxSendLagMs } = await sendOnSchedule(total, intervalMs, t0, (index) => {
    const room = index % rooms;
    const seq = Math.floor(index / rooms);
    const publisher = publishers[room];
    if (publisher === undefined) return; // the room's players all failed to connect
    expected += members[room] ?? 0;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    publisher.connection.publish(players.channels[room] as string, { s: seq, t: performance.now() }).then(
      () => void (inFlight -= 1),
      (error: unknown) => {
        inFlight -= 1;
        publishErrors += 1;
        firstPublishError ??= message(error);
      },
    );
  });
  const sent = total;
  const sendsDoneAt = performance.now();
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      const idleFor = performance.now() - Math.max(sendsDoneAt, lastDeliveryAt);
      if (delivered >= expected || idleFor >= cmd.idleMs) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
  const cpu = process.cpuUsage(cpuBefore);
  for (const player of players.list) player.connection.onDelivery(() => undefined);
  return {
    sent,
    publishErrors,
    ...(firstPublishError === undefined ? {} : { firstPublishError }),
    expected,
    delivered,
    duplicates,
    reordered,
    latencies: latencies.slice(0, delivered),
    maxInFlight,
    maxSendLagMs,
    cpuUs: cpu.user + cpu.system,
    elapsedMs: (lastDeliveryAt > 0 ? lastDeliveryAt : performance.now()) - t0,
  };
}
