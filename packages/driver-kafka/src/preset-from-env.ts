import type { Env } from '@app/core';
import type { KafkaBusOptions } from './options.js';
import { checkPresetBrokers, checkPresetCredentials } from './preset-credentials.js';
import { envNames, PRESET_FILLED_ENV, type KafkaPreset } from './preset-names.js';
import type { SecurityEnv } from './security-from-env.js';

function setIn(env: Env, variable: string): boolean {
  // As the settings table reads: a blank value counts as unset.
  return (env[variable]?.trim() ?? '') !== '';
}

/**
 * The `KAFKA_SSL*`/`KAFKA_SASL_*` values with what `KAFKA_PRESET` implies when unset: TLS on, and
 * the mechanism `plain` (or `oauthbearer` when a `KAFKA_OAUTH_TOKEN*` variable is set). Checks the
 * brokers and the credentials first, so a missing API key or connection string is named by the
 * preset's message rather than the generic one. Throws `BusError` `config` naming the variable.
 */
export function presetSecurityEnv(preset: KafkaPreset, brokers: readonly string[], security: SecurityEnv): SecurityEnv {
  checkPresetBrokers(preset, brokers, envNames);
  const hasToken = security.oauthTokenCommand !== undefined || security.oauthTokenFile !== undefined || security.oauthToken !== undefined;
  const saslMechanism = security.saslMechanism ?? (hasToken ? 'oauthbearer' : 'plain');
  checkPresetCredentials(preset, { mechanism: saslMechanism, username: security.saslUsername, password: security.saslPassword }, brokers, envNames);
  return { ...security, ssl: security.ssl ?? true, saslMechanism };
}

/**
 * `options` without the values a preset fills that came from a default rather than the
 * environment, so that the preset fills them and only what the user set can conflict.
 */
export function withoutPresetDefaults(options: KafkaBusOptions, env: Env): KafkaBusOptions {
  const kept: Record<string, unknown> = { ...options };
  for (const [key, variable] of Object.entries(PRESET_FILLED_ENV)) if (!setIn(env, variable)) delete kept[key];
  return kept as KafkaBusOptions;
}
