import { defineBusDriver, type Env } from '@app/core';
import { createKafkaBus } from './create-kafka-bus.js';
import type { KafkaBusOptions } from './options.js';
import { saslFromEnv, sslFromEnv } from './security-from-env.js';
import { KAFKA_SETTINGS } from './settings.js';

/** Reads the `KAFKA_*` variables into factory options; throws a `config` error naming the variable. */
export function optionsFromEnv(env: Env): KafkaBusOptions {
  const {
    ssl, sslCaFile, sslCertFile, sslKeyFile, sslServername,
    saslMechanism, saslUsername, saslPassword, oauthTokenCommand, oauthTokenFile, oauthToken, ...flat
  } = KAFKA_SETTINGS.fromEnv(env);
  const sasl = saslFromEnv({ saslMechanism, saslUsername, saslPassword, oauthTokenCommand, oauthTokenFile, oauthToken });
  return { ...flat, ssl: sslFromEnv({ ssl, sslCaFile, sslCertFile, sslKeyFile, sslServername }), ...(sasl === undefined ? {} : { sasl }) };
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
