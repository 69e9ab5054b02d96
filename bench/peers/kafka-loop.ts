// Peer `kafka-loop`: a bare kafkajs producer -> consumer loop on the same brokers, the ceiling for
// our Kafka driver at the rooms shape. Forked by the bench and driven like a load worker
// (bench/load/load-protocol.ts): 'connect' creates the topic and joins two consumer groups, one
// per "instance"; 'run' produces one record per message (key = room channel, so one partition
// per room keeps its order), at the rooms rate, through one idempotent producer with acks=all.
// Records are queued per partition leader and each broker has one send in flight, the next one
// taking everything queued meanwhile: brokers do not wait for each other (many small concurrent
// sends, or one send across all brokers, were both measured slower). Measures produce -> consume.
// A consumed record stands for the players/2 deliveries an instance would make from it, so
// `expected`/`delivered` compare with the WebSocket systems (sent × players).
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel, Partitioners, type Consumer, type Message, type Producer } from 'kafkajs';
import type { ConnectCommand, FromWorker, LoadResult, RunCommand, ToWorker } from '../load/load-protocol.js';
import { sendOnSchedule } from '../load/steady-schedule.js';

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const topic = process.env['KAFKA_LOOP_TOPIC'] ?? 'kafka-loop';
const send = (message: FromWorker): void => void process.send?.(message);
const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
const kafka = new Kafka({ clientId: 'bench-kafka-loop', brokers, logLevel: logLevel.WARN });

interface Receiver {
  seen: Uint8Array[];
  maxSeq: Int32Array;
  consumed: number;
  duplicates: number;
  reordered: number;
}

let producer: Producer | undefined;
let consumers: Consumer[] = [];
let receivers: Receiver[] = [];
let rooms = 0;
let players = 2;
let samples = new Float64Array(0);
let sampleCount = 0;
let lastConsumedAt = 0;
const PARTITIONS = 4;
let leaders = new Map<number, number>();
const partitioner = Partitioners.DefaultPartitioner();
/** The partition kafkajs's default (Java-compatible murmur2) partitioner picks for `key`. */
const partitionOf = (key: string): number =>
  partitioner({ topic, partitionMetadata: Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [], isr: [] })), message: { key, value: null } });

function onRecord(receiver: Receiver, value: Buffer | null): void {
  if (value === null) return;
  const { r, s, t } = JSON.parse(value.toString()) as { r: number; s: number; t: number };
  const seen = receiver.seen[r];
  if (seen === undefined || s < 0 || s >= seen.length) return;
  const now = performance.now();
  if (seen[s] === 1) {
    receiver.duplicates += 1;
    return;
  }
  seen[s] = 1;
  if (s < (receiver.maxSeq[r] ?? -1)) receiver.reordered += 1;
  else receiver.maxSeq[r] = s;
  receiver.consumed += 1;
  if (sampleCount < samples.length) samples[sampleCount++] = now - t;
  lastConsumedAt = now;
}

async function connect(cmd: ConnectCommand): Promise<void> {
  rooms = cmd.channels.length;
  players = cmd.players;
  const admin = kafka.admin();
  await admin.connect();
  const { brokers: live } = await admin.describeCluster();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: Math.min(3, live.length) }], waitForLeaders: true });
  const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
  leaders = new Map((metadata?.partitions ?? []).map((p) => [p.partitionId, p.leader]));
  await admin.disconnect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  receivers = [];
  consumers = [];
  for (const instance of ['A', 'B']) {
    const receiver: Receiver = { seen: [], maxSeq: new Int32Array(0), consumed: 0, duplicates: 0, reordered: 0 };
    const consumer = kafka.consumer({ groupId: `${topic}-${instance}`, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => onRecord(receiver, message.value) });
    await joined;
    receivers.push(receiver);
    consumers.push(consumer);
  }
  send({ type: 'connected', connections: consumers.length, failed: 0 });
}

async function run(cmd: RunCommand): Promise<LoadResult> {
  if (producer === undefined) throw new Error('run before connect');
  const active = producer;
  const perRoom = Math.max(1, Math.floor((cmd.ratePerRoom * cmd.durationMs) / 1000));
  const total = rooms * perRoom;
  for (const receiver of receivers) {
    receiver.seen = Array.from({ length: rooms }, () => new Uint8Array(perRoom));
    receiver.maxSeq = new Int32Array(rooms).fill(-1);
  }
  samples = new Float64Array(total * receivers.length);
  sampleCount = 0;
  const intervalMs = 1000 / (cmd.ratePerRoom * rooms);
  let sent = 0;
  let errors = 0;
  let firstError: string | undefined;
  const queues = new Map<number, Message[]>();
  const busy = new Set<number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const flush = (): void => {
    for (const [broker, queue] of queues) if (!busy.has(broker) && queue.length > 0) flushBroker(broker, queue);
  };
  const flushBroker = (broker: number, batch: Message[]): void => {
    queues.set(broker, []);
    busy.add(broker);
    active
      .send({ topic, messages: batch, acks: -1 })
      .catch((error: unknown) => {
        errors += batch.length;
        firstError ??= describe(error);
      })
      .finally(() => {
        busy.delete(broker);
        inFlight -= batch.length;
        flush();
      });
  };
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  const send = (index: number): void => {
    const room = index % rooms;
    const key = `room-${room}`;
    const partition = partitionOf(key);
    const broker = leaders.get(partition) ?? -1;
    let queue = queues.get(broker);
    if (queue === undefined) queues.set(broker, (queue = []));
    queue.push({ key, partition, value: JSON.stringify({ r: room, s: Math.floor(index / rooms), t: performance.now() }) });
    sent += 1;
    inFlight += 1;
  };
  const { maxLagMs: maxLag } = await sendOnSchedule(total, intervalMs, t0, send, () => {
    maxInFlight = Math.max(maxInFlight, inFlight);
    flush();
  });
  const doneAt = performance.now();
  const consumed = (): number => receivers.reduce((n, r) => n + r.consumed, 0);
  while (consumed() < total * receivers.length && performance.now() - Math.max(doneAt, lastConsumedAt) < cmd.idleMs) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const cpu = process.cpuUsage(cpuBefore);
  const perRecord = players / receivers.length;
  return {
    sent,
    publishErrors: errors,
    ...(firstError === undefined ? {} : { firstPublishError: firstError }),
    expected: total * players,
    delivered: consumed() * perRecord,
    duplicates: receivers.reduce((n, r) => n + r.duplicates, 0) * perRecord,
    reordered: receivers.reduce((n, r) => n + r.reordered, 0) * perRecord,
    latencies: samples.slice(0, sampleCount),
    maxInFlight,
    maxSendLagMs: maxLag,
    cpuUs: cpu.user + cpu.system,
    elapsedMs: (lastConsumedAt > 0 ? lastConsumedAt : performance.now()) - t0,
  };
}

async function handle(command: ToWorker): Promise<void> {
  if (command.type === 'connect') await connect(command);
  else if (command.type === 'run') send({ type: 'result', result: await run(command) });
  else {
    await Promise.allSettled([...consumers.map((c) => c.disconnect()), producer?.disconnect()]);
    process.exit(0);
  }
}

process.on('message', (command: ToWorker) => {
  handle(command).catch((error: unknown) => send({ type: 'failed', error: describe(error) }));
});
process.on('disconnect', () => process.exit(0));
send({ type: 'started' });
