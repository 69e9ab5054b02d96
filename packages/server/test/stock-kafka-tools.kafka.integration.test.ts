import { withTimeout } from '@app/core';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cleanUpPrefix } from '../../driver-kafka/test/raw-kafka.js';
import { subscriber } from './support/cross-instance.js';
import { killServerProcesses, spawnServer, type ServerProcess } from './support/server-process.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs one of Apache Kafka's own console tools through scripts/kafka; resolves with stdout. */
function kafkaTool(tool: 'console-producer' | 'console-consumer', args: string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/kafka/kafka.mjs', tool, '--bootstrap-server', inject('kafkaBrokers'), ...args], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kafka ${tool} exited ${String(code)}:\n${err}`))));
    child.stdin.end(input);
  });
}

// Interoperability with stock Kafka tooling: Apache Kafka's console producer and consumer.
describe('the Kafka bus and stock Kafka tools', () => {
  const run = randomBytes(3).toString('hex');
  const prefix = `t${run}-`;
  const topic = `${prefix}game`;
  let server: ServerProcess;
  let url: string;

  beforeAll(async () => {
    server = spawnServer({ BUS: 'kafka', PORT: '0', KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_TOPIC_PREFIX: prefix });
    url = await server.listening(90_000);
  }, 120_000);

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    killServerProcesses();
    await cleanUpPrefix(prefix);
  }, 60_000);

  it('delivers a record from the console producer (key game:42, no headers) to WebSocket subscribers of game:42', async () => {
    const client = await subscriber(url, ['game:42']);
    await kafkaTool('console-producer', ['--topic', topic, '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=|'], 'game:42|{"hello":"from the console producer"}\n');
    const [message] = await withTimeout(client.waitForMessages('game:42', 1), 30_000, 'the console producer’s record');
    expect(message?.data).toEqual({ hello: 'from the console producer' });
    expect(message?.id).toMatch(new RegExp(`^kafka:${topic}:\\d+:\\d+$`));
    await client.close();
  }, 120_000);

  it('writes WebSocket publishes that the console consumer reads, key and CloudEvents headers included', async () => {
    const client = await subscriber(url, []);
    const ack = await client.request({ type: 'publish', channel: 'game:42', data: { from: 'websocket' } });
    expect(ack.type).toBe('ack');
    const output = await kafkaTool('console-consumer', [
      '--topic', topic, '--from-beginning', '--max-messages', '2', '--timeout-ms', '20000',
      '--formatter-property', 'print.key=true', '--formatter-property', 'print.headers=true',
    ]);
    const line = output.split('\n').find((text) => text.includes('"websocket"'));
    expect(line, `console consumer output:\n${output}`).toBeDefined();
    const [headers, key, value] = (line ?? '').split('\t');
    expect(key).toBe('game:42');
    expect(JSON.parse(value ?? 'null')).toEqual({ from: 'websocket' });
    for (const header of ['ce_specversion:1.0', 'ce_id:', 'ce_source:', 'ce_type:', 'ce_time:', 'content-type:application/json']) {
      expect(headers).toContain(header);
    }
    await client.close();
  }, 120_000);
});
