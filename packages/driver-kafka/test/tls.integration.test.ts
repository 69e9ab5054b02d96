import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type MessageBus } from '@app/core';
import { createKafkaBus, driver } from '@app/driver-kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from './bus-factory.js';
import { cleanUpPrefix } from './raw-kafka.js';
import { failure, skipTls, list, nowSeconds, pem, roundTrip, tlsListeners, unsecuredJws } from './tls-support.js';

const topicPrefix = `${uniqueName('tls')}.`;
afterAll(() => cleanUpPrefix(topicPrefix));

async function using(bus: MessageBus, check: (bus: MessageBus) => Promise<void> = roundTrip): Promise<void> {
  try {
    expect(bus.status()).toBe('ready');
    await check(bus);
  } finally {
    await bus.close();
  }
}

const create = (env: Record<string, string>) => driver.create({ KAFKA_TOPIC_PREFIX: topicPrefix, ...env }, { logger: silentLogger });

describe.skipIf(skipTls)('TLS listeners of the local cluster', () => {
  it('connects over SSL trusting the private CA (options and KAFKA_SSL_CA_FILE)', async () => {
    const tls = tlsListeners();
    await using(await createKafkaBus({ brokers: list(tls.sslBrokers), topicPrefix, ssl: { ca: [pem(tls.caFile)] } }));
    await using(await create({ KAFKA_BROKERS: tls.sslBrokers, KAFKA_SSL_CA_FILE: tls.caFile }));
  });

  it('checks the certificate against KAFKA_SSL_SERVERNAME instead of the broker address', async () => {
    const tls = tlsListeners();
    // 127.0.0.1 is in the certificate too, so this proves only that a name it holds is accepted.
    await using(await create({ KAFKA_BROKERS: tls.sslBrokers, KAFKA_SSL_CA_FILE: tls.caFile, KAFKA_SSL_SERVERNAME: 'localhost' }));
  });

  it.each(['plain', 'scram-sha-512'] as const)('logs in over SASL_SSL with %s', async (mechanism) => {
    const tls = tlsListeners();
    await using(
      await createKafkaBus({ brokers: list(tls.saslSslBrokers), topicPrefix, ssl: { ca: [pem(tls.caFile)] }, sasl: { mechanism, username: tls.username, password: tls.password } }),
    );
  });

  it('logs in over SASL_SSL with SCRAM-SHA-512 from the KAFKA_* variables', async () => {
    const tls = tlsListeners();
    await using(
      await create({
        KAFKA_BROKERS: tls.saslSslBrokers, KAFKA_SSL_CA_FILE: tls.caFile,
        KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: tls.username, KAFKA_SASL_PASSWORD: tls.password,
      }),
    );
  });

  it('presents a client certificate for mutual TLS (KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE)', async () => {
    const tls = tlsListeners();
    await using(await create({ KAFKA_BROKERS: tls.mtlsBrokers, KAFKA_SSL_CA_FILE: tls.caFile, KAFKA_SSL_CERT_FILE: tls.clientCertFile, KAFKA_SSL_KEY_FILE: tls.clientKeyFile }));
  });

  it('logs in with OAUTHBEARER from a token function, asking it on every authentication', async () => {
    const tls = tlsListeners();
    let asked = 0;
    const token = () => {
      asked += 1;
      return unsecuredJws({ sub: 'app', iat: nowSeconds(), exp: nowSeconds() + 3600 });
    };
    await using(await createKafkaBus({ brokers: list(tls.oauthBrokers), topicPrefix, ssl: { ca: [pem(tls.caFile)] }, sasl: { mechanism: 'oauthbearer', token } }));
    // The admin, the probe, the producer and the consumer each open connections of their own.
    expect(asked).toBeGreaterThanOrEqual(2);
  });

  it('logs in with OAUTHBEARER from KAFKA_OAUTH_TOKEN, KAFKA_OAUTH_TOKEN_FILE and KAFKA_OAUTH_TOKEN_COMMAND', async () => {
    const tls = tlsListeners();
    const jws = unsecuredJws({ sub: 'app', iat: nowSeconds(), exp: nowSeconds() + 3600 });
    const file = join(tmpdir(), `${uniqueName('oauth-token')}.jwt`);
    writeFileSync(file, `${jws}\n`);
    const base = { KAFKA_BROKERS: tls.oauthBrokers, KAFKA_SSL_CA_FILE: tls.caFile, KAFKA_SASL_MECHANISM: 'oauthbearer' };
    await using(await create({ ...base, KAFKA_OAUTH_TOKEN: jws }));
    await using(await create({ ...base, KAFKA_OAUTH_TOKEN_FILE: file }));
    await using(await create({ ...base, KAFKA_OAUTH_TOKEN_COMMAND: `cat '${file}'` }));
  });

  it('sends SASL extensions with the token (KAFKA_OAUTH_EXTENSIONS, as Confluent Cloud needs), in a message the broker parses', async () => {
    const tls = tlsListeners();
    const jws = unsecuredJws({ sub: 'app', iat: nowSeconds(), exp: nowSeconds() + 3600 });
    const base = { KAFKA_BROKERS: tls.oauthBrokers, KAFKA_SSL_CA_FILE: tls.caFile, KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN: jws };
    await using(await create({ ...base, KAFKA_OAUTH_EXTENSIONS: 'logicalCluster=lkc-abc12, identityPoolId=pool-Ab1c' }));
    const bad: readonly (readonly [string, string])[] = [['auth=x', '"auth" is not an extension key'], ['logicalCluster', 'is not key=value'], ['pool=a\u0001b', 'must be printable ASCII']];
    for (const [value, text] of bad) {
      const error = await failure(async () => create({ ...base, KAFKA_OAUTH_EXTENSIONS: value }));
      expect(error.reason).toBe('config');
      expect(error.message).toContain(text);
    }
  });
});
