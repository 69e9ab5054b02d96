import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { cleanUpPrefix } from '../../driver-kafka/test/raw-kafka.js';
import { nowSeconds, skipTls, tlsListeners, unsecuredJws } from '../../driver-kafka/test/tls-support.js';
import { expectSecurityReported, fanOutAcrossInstances, startTwoInstances, type TwoInstances } from './support/cross-instance.js';
import { killServerProcesses } from './support/server-process.js';

// Two real server processes with BUS=kafka over the local cluster's OAUTHBEARER listener (SASL_SSL, private CA),
// each reading its token from a file as a sidecar would write it.
describe.skipIf(skipTls)('across server instances on Kafka over SASL_SSL OAUTHBEARER', () => {
  const run = randomBytes(3).toString('hex');
  const channels = [`game:${run}-1`, `game:${run}-2`];
  const dir = mkdtempSync(join(tmpdir(), 'oauth-instances-'));
  const tokenFile = join(dir, 'token');
  const token = unsecuredJws({ sub: `app-${run}`, iat: nowSeconds(), exp: nowSeconds() + 3600 });
  let instances: TwoInstances | undefined;

  beforeAll(async () => {
    const tls = tlsListeners();
    writeFileSync(tokenFile, `${token}\n`);
    instances = await startTwoInstances({
      BUS: 'kafka', KAFKA_BROKERS: tls.oauthBrokers, KAFKA_TOPIC_PREFIX: `o${run}-`, KAFKA_SSL_CA_FILE: tls.caFile,
      KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN_FILE: tokenFile,
    });
  }, 120_000);

  afterAll(async () => {
    await instances?.stop();
    killServerProcesses();
    rmSync(dir, { recursive: true, force: true });
    await cleanUpPrefix(`o${run}-`);
  }, 60_000);

  it('1,000 messages published on one instance reach every subscriber on both, none lost, in order per channel', async () => {
    if (instances === undefined) throw new Error('the instances did not start');
    await fanOutAcrossInstances(instances, channels);
  }, 240_000);

  it('/readyz and the start-up log name SASL_SSL and oauthbearer, and no log line holds the token', async () => {
    if (instances === undefined) throw new Error('the instances did not start');
    // The payload part alone would already identify the token.
    await expectSecurityReported(instances, { protocol: 'SASL_SSL', mechanism: 'oauthbearer' }, token.split('.')[1] ?? token);
  });
});
