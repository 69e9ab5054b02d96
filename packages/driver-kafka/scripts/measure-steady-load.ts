/**
 * Profiling tool (not a test): two Kafka buses in one process stand for two server instances.
 * Every channel of one namespace is subscribed on both; bus A publishes at a steady total rate
 * spread evenly over the channels. Prints send→deliver latency, publish-ack latency, Kafka
 * requests per API (counted through kafkajs instrumentation), this process's CPU per 1,000
 * deliveries and the broker JVMs' CPU (from /proc, when their pids are in .kafka/pids).
 *
 *   KAFKA_BROKERS=127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094 \
 *     node --conditions=@app/source --import tsx packages/driver-kafka/scripts/measure-steady-load.ts
 *
 * Knobs (environment): MEASURE_CHANNELS (500), MEASURE_RATE (5000 msg/s), MEASURE_SECONDS (20),
 * MEASURE_WARMUP_SECONDS (5), MEASURE_TICK_MS (2); every KAFKA_* variable the driver reads.
 * MEASURE_SRC (default `../src`): another copy of the driver's sources in this package's folder,
 * e.g. an older commit's `git archive <commit> src | tar -x -C .baseline`, for an A/B run.
 * Add `--cpu-prof --cpu-prof-dir=/tmp/kprof` to see where the CPU goes.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { MessageBus, Subscription } from '@app/core';
import { Kafka, type Consumer, type Producer } from 'kafkajs';
import type { createKafkaBus as CreateKafkaBus } from '../src/create-kafka-bus.js';
import type { optionsFromEnv as OptionsFromEnv } from '../src/driver.js';

const env = process.env;
const CHANNELS = Number(env['MEASURE_CHANNELS'] ?? 500);
const RATE = Number(env['MEASURE_RATE'] ?? 5000);
const SECONDS = Number(env['MEASURE_SECONDS'] ?? 20);
const WARMUP = Number(env['MEASURE_WARMUP_SECONDS'] ?? 5);
const TICK_MS = Number(env['MEASURE_TICK_MS'] ?? 2);

/** Requests per (client kind, API), counted only while measuring. */
const requests = new Map<string, number>();
const produceMs: number[] = [];
let fetchEvents = 0;
let measuring = false;

function count(kind: string, api: string): void {
  if (!measuring) return;
  const key = `${kind} ${api}`;
  requests.set(key, (requests.get(key) ?? 0) + 1);
}

// The driver builds its clients from this same kafkajs module: wrap the factories to listen in.
const originalProducer = Kafka.prototype.producer;
Kafka.prototype.producer = function producer(this: Kafka, ...args: Parameters<Kafka['producer']>): Producer {
  const created = originalProducer.apply(this, args);
  created.on(created.events.REQUEST, (event) => {
    count('producer', event.payload.apiName);
    if (measuring && event.payload.apiName === 'Produce') produceMs.push(event.payload.duration);
  });
  return created;
};
const originalConsumer = Kafka.prototype.consumer;
Kafka.prototype.consumer = function consumer(this: Kafka, ...args: Parameters<Kafka['consumer']>): Consumer {
  const created = originalConsumer.apply(this, args);
  created.on(created.events.REQUEST, (event) => count('consumer', event.payload.apiName));
  created.on(created.events.FETCH, () => {
    if (measuring) fetchEvents += 1;
  });
  return created;
};

function brokerTicks(): number | undefined {
  const dir = join(import.meta.dirname, '../../../.kafka/pids');
  let total = 0;
  try {
    for (const file of readdirSync(dir)) {
      const pid = readFileSync(join(dir, file), 'utf8').trim();
      // Fields after the command name: utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return undefined;
  }
  return total;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function summary(values: number[]): string {
  const sorted = Float64Array.from(values).sort();
  const f = (n: number): string => n.toFixed(1);
  return `n=${sorted.length} p50=${f(percentile(sorted, 50))} p90=${f(percentile(sorted, 90))} p99=${f(percentile(sorted, 99))} p99.9=${f(percentile(sorted, 99.9))} max=${f(sorted[sorted.length - 1] ?? Number.NaN)} ms`;
}

async function main(): Promise<void> {
  const src = env['MEASURE_SRC'] ?? '../src';
  const { createKafkaBus } = (await import(`${src}/create-kafka-bus.ts`)) as { createKafkaBus: typeof CreateKafkaBus };
  const { optionsFromEnv } = (await import(`${src}/driver.ts`)) as { optionsFromEnv: typeof OptionsFromEnv };
  const run = randomBytes(3).toString('hex');
  const base = { ...optionsFromEnv(env), topicPrefix: `kmeasure-${run}.` };
  const a = await createKafkaBus({ ...base, clientId: `kmeasure-${run}-a` });
  const b = await createKafkaBus({ ...base, clientId: `kmeasure-${run}-b` });
  const latency: Record<'a' | 'b', number[]> = { a: [], b: [] };
  const ack: number[] = [];
  let deliveries = 0;
  let errors = 0;
  const channels = Array.from({ length: CHANNELS }, (_, index) => `room:${index}`);
  const subscriptions: Subscription[] = [];
  const listen = async (bus: MessageBus, name: 'a' | 'b'): Promise<void> => {
    for (const channel of channels) {
      subscriptions.push(
        await bus.subscribe<{ t: number }>(channel, (message) => {
          if (!measuring) return;
          deliveries += 1;
          latency[name].push(performance.now() - message.data.t);
        }),
      );
    }
  };
  await Promise.all([listen(a, 'a'), listen(b, 'b')]);
  console.log(`driver ${src}: ${CHANNELS} channels subscribed on 2 buses; ${RATE} msg/s for ${WARMUP}+${SECONDS} s, tick ${TICK_MS} ms`);

  let sent = 0;
  let next = 0;
  const started = performance.now();
  const padding = 'x'.repeat(60);
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * RATE);
    for (; sent < due; sent += 1) {
      const channel = channels[next] as string;
      next = (next + 1) % channels.length;
      const t = performance.now();
      const counted = measuring;
      a.publish(channel, { t, seq: sent, move: padding }).then(
        () => {
          if (counted) ack.push(performance.now() - t);
        },
        () => {
          errors += 1;
        },
      );
    }
  }, TICK_MS);

  await new Promise((resolve) => setTimeout(resolve, WARMUP * 1000));
  const cpu0 = process.cpuUsage();
  const broker0 = brokerTicks();
  const wall0 = performance.now();
  measuring = true;
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  measuring = false;
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const broker1 = brokerTicks();
  clearInterval(timer);
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`deliveries ${deliveries} (${(deliveries / (wallMs / 1000)).toFixed(0)}/s), publish errors ${errors}`);
  console.log(`deliver A: ${summary(latency.a)}`);
  console.log(`deliver B: ${summary(latency.b)}`);
  console.log(`publish ack: ${summary(ack)}`);
  console.log(`Produce request duration: ${summary(produceMs)}`);
  console.log(`process CPU ${cpuMs.toFixed(0)} ms = ${((cpuMs / wallMs) * 100).toFixed(0)}% of a core; ${((cpuMs / deliveries) * 1000).toFixed(1)} ms per 1000 deliveries`);
  if (broker0 !== undefined && broker1 !== undefined) {
    const brokerMs = (broker1 - broker0) * 10;
    console.log(`broker JVMs CPU ${brokerMs} ms = ${((brokerMs / wallMs) * 100).toFixed(0)}% of a core; ${((brokerMs / deliveries) * 1000).toFixed(1)} ms per 1000 deliveries`);
  }
  const perSecond = (n: number): string => (n / (wallMs / 1000)).toFixed(1);
  for (const [key, n] of [...requests].sort()) console.log(`  ${key}: ${n} (${perSecond(n)}/s)`);
  console.log(`  consumer FETCH events: ${fetchEvents} (${perSecond(fetchEvents)}/s)`);
  await Promise.all(subscriptions.map((subscription) => subscription.unsubscribe()));
  await Promise.all([a.close(), b.close()]);
  // Leave no topics behind on a shared cluster.
  const admin = new Kafka({ brokers: [...(base.brokers ?? [])], logLevel: 0 }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [`${base.topicPrefix}room`] }).catch(() => {});
  await admin.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
