import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@app/core';
import { createKafkaBus, driver } from '@app/driver-kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from './bus-factory.js';
import { cleanUpPrefix } from './raw-kafka.js';
import { skipTls, failure, list, nowSeconds, pem, tlsListeners, unsecuredJws } from './tls-support.js';

const topicPrefix = `${uniqueName('tlsfail')}.`;
afterAll(() => cleanUpPrefix(topicPrefix));

// Short: a refusal must come at once, not after the connect timeout's retries.
const connectTimeoutMs = 20_000;
const create = async (env: Record<string, string>) => driver.create({ KAFKA_TOPIC_PREFIX: topicPrefix, KAFKA_CONNECT_TIMEOUT_MS: String(connectTimeoutMs), ...env }, { logger: silentLogger });

/** Each refusal: a non-retryable BusError, well before the connect timeout (no retry loop). */
async function refused(action: () => Promise<unknown>, reason: string, ...texts: string[]): Promise<void> {
  const started = Date.now();
  const error = await failure(action);
  expect(error.reason, error.message).toBe(reason);
  expect(error.isRetryable, error.message).toBe(false);
  for (const text of texts) expect(error.message).toContain(text);
  expect(Date.now() - started, error.message).toBeLessThan(connectTimeoutMs / 2);
}

describe.skipIf(skipTls)('TLS and SASL_SSL refusals', () => {
  it('refuses a broker whose certificate an unknown CA signed, naming KAFKA_SSL_CA_FILE', async () => {
    const tls = tlsListeners();
    await refused(() => create({ KAFKA_BROKERS: tls.sslBrokers, KAFKA_SSL_CA_FILE: tls.otherCaFile }), 'config', 'not signed by a trusted CA', 'KAFKA_SSL_CA_FILE');
    // The system CAs do not know the test CA either.
    await refused(() => create({ KAFKA_BROKERS: tls.sslBrokers, KAFKA_SSL: 'true' }), 'config', 'TLS:', 'KAFKA_SSL_CA_FILE');
  });

  it('refuses a certificate that does not hold the expected host name, naming KAFKA_SSL_SERVERNAME', async () => {
    const tls = tlsListeners();
    await refused(
      () => createKafkaBus({ brokers: list(tls.sslBrokers), topicPrefix, connectTimeoutMs, ssl: { ca: [pem(tls.caFile)], servername: 'kafka.example.com' } }),
      'config', 'does not name the host', 'KAFKA_SSL_SERVERNAME', 'kafka.example.com',
    );
  });

  it('refuses a wrong SASL password over SASL_SSL', async () => {
    const tls = tlsListeners();
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-512']) {
      await refused(
        () => create({ KAFKA_BROKERS: tls.saslSslBrokers, KAFKA_SSL_CA_FILE: tls.caFile, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: tls.username, KAFKA_SASL_PASSWORD: 'wrong-password' }),
        'unauthorized', 'authentication failed', 'KAFKA_SASL_PASSWORD',
      );
    }
  });

  it('is refused by the mutual-TLS listener without a client certificate, or with one an unknown CA signed', async () => {
    const tls = tlsListeners();
    const base = { KAFKA_BROKERS: tls.mtlsBrokers, KAFKA_SSL_CA_FILE: tls.caFile };
    await refused(() => create(base), 'unauthorized', 'refused the handshake', 'KAFKA_SSL_CERT_FILE');
    await refused(() => create({ ...base, KAFKA_SSL_CERT_FILE: tls.otherClientCertFile, KAFKA_SSL_KEY_FILE: tls.otherClientKeyFile }), 'unauthorized', 'refused the handshake');
  });

  it('refuses an expired OAUTHBEARER token (the broker) and a malformed one (before sending it)', async () => {
    const tls = tlsListeners();
    const expired = unsecuredJws({ sub: 'app', iat: nowSeconds() - 120, exp: nowSeconds() - 60 });
    // Through the option the token reaches the broker unchecked: the broker's refusal is mapped.
    await refused(
      () => createKafkaBus({ brokers: list(tls.oauthBrokers), topicPrefix, connectTimeoutMs, ssl: { ca: [pem(tls.caFile)] }, sasl: { mechanism: 'oauthbearer', token: () => expired } }),
      'unauthorized', 'KAFKA_OAUTH_TOKEN',
    );
    // A token with a SASL separator inside is refused before it is sent (it would smuggle in an extension).
    const valid = unsecuredJws({ sub: 'app', exp: nowSeconds() + 3600 });
    await refused(
      () => createKafkaBus({ brokers: list(tls.oauthBrokers), topicPrefix, connectTimeoutMs, ssl: { ca: [pem(tls.caFile)] }, sasl: { mechanism: 'oauthbearer', token: () => `${valid}\u0001extra=1` } }),
      'unauthorized', 'the token holds white space, a control or a non-ASCII character',
    );
    // From the variables the driver sees the exp itself and says so.
    await refused(
      () => create({ KAFKA_BROKERS: tls.oauthBrokers, KAFKA_SSL_CA_FILE: tls.caFile, KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN: expired }),
      'unauthorized', 'the OAUTHBEARER token from KAFKA_OAUTH_TOKEN expired at',
    );
  });

  it('fails without a token: no source, an empty file, a failing command, a token without sub', async () => {
    const tls = tlsListeners();
    const base = { KAFKA_BROKERS: tls.oauthBrokers, KAFKA_SSL_CA_FILE: tls.caFile, KAFKA_SASL_MECHANISM: 'oauthbearer' };
    await refused(() => create(base), 'config', 'KAFKA_OAUTH_TOKEN_COMMAND, KAFKA_OAUTH_TOKEN_FILE or KAFKA_OAUTH_TOKEN');
    const empty = join(tmpdir(), `${uniqueName('empty-token')}.jwt`);
    writeFileSync(empty, '\n');
    await refused(() => create({ ...base, KAFKA_OAUTH_TOKEN_FILE: empty }), 'unauthorized', 'KAFKA_OAUTH_TOKEN_FILE gave an empty OAUTHBEARER token');
    await refused(() => create({ ...base, KAFKA_OAUTH_TOKEN_COMMAND: 'echo no identity provider >&2; exit 3' }), 'unauthorized', 'KAFKA_OAUTH_TOKEN_COMMAND failed', 'no identity provider');
    // The unsecured validator wants a sub: the broker refuses it.
    await refused(() => create({ ...base, KAFKA_OAUTH_TOKEN: unsecuredJws({ exp: nowSeconds() + 3600 }) }), 'unauthorized', 'OAUTHBEARER');
  });
});
