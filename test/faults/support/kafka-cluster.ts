import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

/** Runs `node scripts/kafka/kafka.mjs <args>` (stop-node, start-node, up, status); returns its output. */
export async function kafkaScript(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  const { stdout, stderr } = await run(process.execPath, ['scripts/kafka/kafka.mjs', ...args], { cwd: root, timeout: timeoutMs });
  return `${stdout}${stderr}`;
}

/** SIGKILLs (a crash) or SIGTERMs (controlled shutdown) node `i` of the local cluster; node i is broker id i. */
export const stopNode = (i: number, kill: boolean): Promise<string> => kafkaScript(['stop-node', String(i), ...(kill ? ['--kill'] : [])]);

/** Starts node `i` again and waits until it answers. */
export const startNode = (i: number): Promise<string> => kafkaScript(['start-node', String(i)]);

/** Starts whatever node is down and waits until all three see each other (`up` is idempotent). */
export const restoreCluster = (): Promise<string> => kafkaScript(['up', '--nodes', '3']);

/** An admin client of the fault cluster that connects to whichever broker is up. */
export async function withAdmin<T>(brokers: string, work: (admin: Admin) => Promise<T>): Promise<T> {
  const kafka = new Kafka({ brokers: brokers.split(','), clientId: 'faults-admin', logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

export interface PartitionState {
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

/** Leader, replicas and in-sync replicas of one partition, from topic metadata. */
export async function partitionState(brokers: string, topic: string, partition: number): Promise<PartitionState> {
  return withAdmin(brokers, async (admin) => {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const found = metadata.topics[0]?.partitions.find((entry) => entry.partitionId === partition);
    if (found === undefined) throw new Error(`no metadata for ${topic}/${partition}`);
    return { leader: found.leader, replicas: found.replicas, isr: found.isr };
  });
}

/** The topic's `min.insync.replicas` as the broker reports it. */
export async function minInsyncReplicas(brokers: string, topic: string): Promise<string | undefined> {
  return withAdmin(brokers, async (admin) => {
    const described = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }], includeSynonyms: false });
    return described.resources[0]?.configEntries.find((entry) => entry.configName === 'min.insync.replicas')?.configValue;
  });
}

/** Polls until `ok` holds for the partition (e.g. all replicas back in sync), or throws after `timeoutMs`. */
export async function waitForPartition(brokers: string, topic: string, partition: number, ok: (state: PartitionState) => boolean, what: string, timeoutMs = 60_000): Promise<PartitionState> {
  const deadline = Date.now() + timeoutMs;
  let last: PartitionState | string = 'no answer';
  for (;;) {
    try {
      last = await partitionState(brokers, topic, partition);
      if (ok(last)) return last;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`${topic}/${partition}: ${what} not reached within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Deletes the topics and consumer groups whose names start with `prefix`. */
export async function cleanUpPrefix(brokers: string, prefix: string): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    const groups = (await admin.listGroups()).groups.map((group) => group.groupId).filter((id) => id.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => {});
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  });
}
