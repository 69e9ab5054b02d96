import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { BusError, defineBusDriver, describeError, type Env } from '@app/core';
import { createKafkaBus } from './create-kafka-bus.js';
import type { KafkaBusOptions } from './options.js';
import { KAFKA_SETTINGS } from './settings.js';

function tls(enabled: boolean, caFile: string | undefined): boolean | ConnectionOptions {
  if (!enabled) return false;
  if (caFile === undefined) return true;
  try {
    return { ca: [readFileSync(caFile, 'utf8')] };
  } catch (error) {
    throw new BusError('config', `KAFKA_SSL_CA_FILE=${caFile} cannot be read: ${describeError(error)}`, { cause: error });
  }
}

/** Reads the `KAFKA_*` variables into factory options; throws a `config` error naming the variable. */
export function optionsFromEnv(env: Env): KafkaBusOptions {
  const { ssl, sslCaFile, saslMechanism, saslUsername, saslPassword, ...flat } = KAFKA_SETTINGS.fromEnv(env);
  if (saslMechanism === undefined && saslUsername !== undefined) {
    throw new BusError('config', 'KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM is not (plain, scram-sha-256 or scram-sha-512)');
  }
  if (saslMechanism !== undefined && (saslUsername === undefined || saslPassword === undefined)) {
    throw new BusError('config', `KAFKA_SASL_MECHANISM=${saslMechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
  }
  const sasl = saslMechanism === undefined ? {} : { sasl: { mechanism: saslMechanism, username: saslUsername ?? '', password: saslPassword ?? '' } };
  return { ...flat, ssl: tls(ssl ?? sslCaFile !== undefined, sslCaFile), ...sasl };
}

/** `BUS=kafka`. */
export const driver = defineBusDriver({
  name: 'kafka',
  settings: KAFKA_SETTINGS.settings,
  // Async so that a bad variable rejects, as a failed connection does.
  async create(env, { logger }) {
    return createKafkaBus({ ...optionsFromEnv(env), logger });
  },
});
