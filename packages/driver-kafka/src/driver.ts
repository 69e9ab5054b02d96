import { defineBusDriver, type Env } from '@app/core';
import { createKafkaBus } from './create-kafka-bus.js';
import type { KafkaBusOptions } from './options.js';
import { applyKafkaPreset } from './preset.js';
import { presetSecurityEnv, withoutPresetDefaults } from './preset-from-env.js';
import { envNames } from './preset-names.js';
import { saslFromEnv, sslFromEnv, type SecurityEnv } from './security-from-env.js';
import { KAFKA_SETTINGS } from './settings.js';

/**
 * Reads the `KAFKA_*` variables into factory options, with `KAFKA_PRESET`'s settings filled in
 * where no variable set them (see preset.ts); throws a `config` error naming the variable.
 */
export function optionsFromEnv(env: Env): KafkaBusOptions {
  const {
    ssl, sslCaFile, sslCertFile, sslKeyFile, sslServername,
    saslMechanism, saslUsername, saslPassword, oauthTokenCommand, oauthTokenFile, oauthToken, oauthExtensions, ...flat
  } = KAFKA_SETTINGS.fromEnv(env);
  const given: SecurityEnv = { ssl, sslCaFile, sslCertFile, sslKeyFile, sslServername, saslMechanism, saslUsername, saslPassword, oauthTokenCommand, oauthTokenFile, oauthToken, oauthExtensions };
  const security = flat.preset === undefined ? given : presetSecurityEnv(flat.preset, flat.brokers, given);
  const sasl = saslFromEnv(security);
  const options: KafkaBusOptions = { ...flat, ssl: sslFromEnv(security), ...(sasl === undefined ? {} : { sasl }) };
  return flat.preset === undefined ? options : applyKafkaPreset(flat.preset, withoutPresetDefaults(options, env), envNames);
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
