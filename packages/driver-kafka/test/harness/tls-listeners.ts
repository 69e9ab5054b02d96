import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portOpen } from './port-open.js';
import type { KafkaTestTls } from './provided.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
/** The files scripts/kafka/tls.mjs makes on the first `kafka:up`. */
const FILES = {
  caFile: 'ca.pem',
  clientCertFile: 'client.pem',
  clientKeyFile: 'client.key',
  otherCaFile: 'other-ca.pem',
  otherClientCertFile: 'other-client.pem',
  otherClientKeyFile: 'other-client.key',
} as const;

/** The local cluster's ports for nodes 1..n of one listener, as scripts/kafka/config.mjs lays them out. */
function localPorts(base: number, nodes: number): string {
  return Array.from({ length: nodes }, (_, k) => `127.0.0.1:${base + k}`).join(',');
}

/**
 * The TLS listeners the TLS tests run against, or the reason there are none. With KAFKA_BROKERS
 * set: KAFKA_TEST_SSL_BROKERS, KAFKA_TEST_SASL_SSL_BROKERS, KAFKA_TEST_OAUTH_BROKERS and
 * KAFKA_TEST_MTLS_BROKERS (all four), and the PEM files in KAFKA_TEST_TLS_DIR (default the
 * checkout's .kafka/tls). For the local cluster of scripts/kafka (`local`), its ports 929x-959x.
 */
export async function findTlsListeners(source: string, env: NodeJS.ProcessEnv): Promise<{ tls: KafkaTestTls | null; missing: string }> {
  const dir = resolve(env['KAFKA_TEST_TLS_DIR']?.trim() || join(REPO_ROOT, '.kafka', 'tls'));
  const files = Object.fromEntries(Object.entries(FILES).map(([key, name]) => [key, join(dir, name)])) as Record<keyof typeof FILES, string>;
  let brokers: { ssl: string; saslSsl: string; oauth: string; mtls: string };
  if (source === 'env') {
    const [ssl, saslSsl, oauth, mtls] = ['KAFKA_TEST_SSL_BROKERS', 'KAFKA_TEST_SASL_SSL_BROKERS', 'KAFKA_TEST_OAUTH_BROKERS', 'KAFKA_TEST_MTLS_BROKERS'].map((name) => env[name]?.trim());
    if (!ssl || !saslSsl || !oauth || !mtls) {
      return {
        tls: null,
        missing: 'KAFKA_BROKERS is set but not all of KAFKA_TEST_SSL_BROKERS, KAFKA_TEST_SASL_SSL_BROKERS, KAFKA_TEST_OAUTH_BROKERS and KAFKA_TEST_MTLS_BROKERS are: the TLS tests need the SSL, SASL_SSL, OAUTHBEARER and mutual-TLS listeners of "pnpm kafka:up" (ports 9292, 9392, 9492, 9592 and up)',
      };
    }
    brokers = { ssl, saslSsl, oauth, mtls };
  } else if (source === 'local') {
    brokers = { ssl: localPorts(9292, 1), saslSsl: localPorts(9392, 1), oauth: localPorts(9492, 1), mtls: localPorts(9592, 1) };
  } else {
    return { tls: null, missing: `the ${source} Kafka has no TLS listeners: the TLS tests need "pnpm kafka:up" (or KAFKA_TEST_SSL_BROKERS and the others)` };
  }
  const absent = Object.values(files).filter((file) => !existsSync(file));
  if (absent.length > 0) return { tls: null, missing: `TLS files missing (made by "pnpm kafka:up"; set KAFKA_TEST_TLS_DIR for another place): ${absent.join(', ')}` };
  const closed = [];
  for (const list of Object.values(brokers)) if (!(await portOpen(list.split(',')[0] ?? ''))) closed.push(list);
  if (closed.length > 0) return { tls: null, missing: `no TLS listener answers on ${closed.join(' / ')} (a cluster started before the TLS listeners existed: restart it with "pnpm kafka:down && pnpm kafka:up")` };
  return {
    tls: {
      sslBrokers: brokers.ssl, saslSslBrokers: brokers.saslSsl, oauthBrokers: brokers.oauth, mtlsBrokers: brokers.mtls,
      username: env['KAFKA_TEST_SASL_USERNAME'] ?? 'app', password: env['KAFKA_TEST_SASL_PASSWORD'] ?? 'app-secret',
      ...files,
    },
    missing: '',
  };
}
