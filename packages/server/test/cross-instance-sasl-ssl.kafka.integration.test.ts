import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { cleanUpPrefix } from '../../driver-kafka/test/raw-kafka.js';
import { skipTls, tlsListeners } from '../../driver-kafka/test/tls-support.js';
import { expectSecurityReported, fanOutAcrossInstances, startTwoInstances, type TwoInstances } from './support/cross-instance.js';
import { killServerProcesses } from './support/server-process.js';

// Two real server processes with BUS=kafka over the local cluster's SASL_SSL listener (SCRAM-SHA-512, private CA).
describe.skipIf(skipTls)('across server instances on Kafka over SASL_SSL', () => {
  const run = randomBytes(3).toString('hex');
  const channels = [`game:${run}-1`, `game:${run}-2`];
  let instances: TwoInstances | undefined;
  let password = '';

  beforeAll(async () => {
    const tls = tlsListeners();
    password = tls.password;
    instances = await startTwoInstances({
      BUS: 'kafka', KAFKA_BROKERS: tls.saslSslBrokers, KAFKA_TOPIC_PREFIX: `s${run}-`, KAFKA_SSL_CA_FILE: tls.caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: tls.username, KAFKA_SASL_PASSWORD: tls.password,
    });
  }, 120_000);

  afterAll(async () => {
    await instances?.stop();
    killServerProcesses();
    await cleanUpPrefix(`s${run}-`);
  }, 60_000);

  it('1,000 messages published on one instance reach every subscriber on both, none lost, in order per channel', async () => {
    if (instances === undefined) throw new Error('the instances did not start');
    await fanOutAcrossInstances(instances, channels);
  }, 240_000);

  it('/readyz and the start-up log name SASL_SSL and the mechanism, and no log line holds the password', async () => {
    if (instances === undefined) throw new Error('the instances did not start');
    await expectSecurityReported(instances, { protocol: 'SASL_SSL', mechanism: 'scram-sha-512' }, password);
  });
});
