import { hostname } from 'node:os';
import { BusError, silentLogger } from '@app/core';
import type { KafkaBusOptions, ResolvedKafkaBusOptions } from './options.js';
import { applyKafkaPreset } from './preset.js';
import { optionNames } from './preset-names.js';
import { extensionsProblem } from './oauth-bearer-authenticator.js';
import { KAFKA_SETTINGS } from './settings.js';

export { DEFAULT_LINGER_MS } from './settings.js';

function invalid(message: string): BusError {
  return new BusError('invalid_options', `createKafkaBus: ${message}`);
}

function defaultClientId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40) || 'host';
  return `app-${host}-${process.pid}`;
}

/**
 * Checks the factory options and fills in every default. Throws `invalid_options` (`config` for
 * a preset's conflicts and credential checks). The flat
 * options come from {@link KAFKA_SETTINGS}; `sasl`, `ssl`, the computed defaults and the rules
 * across options and the preset (see preset.ts; a `config` error for what the service cannot
 * work with) are here.
 */
export function resolveOptions(given: KafkaBusOptions): ResolvedKafkaBusOptions {
  const checked = KAFKA_SETTINGS.resolve(given, 'createKafkaBus');
  // The preset first: its messages say more about missing credentials than the generic check.
  const saslShaped = given.sasl === undefined || (given.sasl !== null && typeof given.sasl === 'object');
  const options = checked.preset === undefined || !saslShaped ? given : applyKafkaPreset(checked.preset, given, optionNames);
  checkSasl(options.sasl);
  const flat = checked.preset === undefined ? checked : KAFKA_SETTINGS.resolve(options, 'createKafkaBus');
  if (flat.heartbeatIntervalMs >= flat.sessionTimeoutMs) throw invalid('heartbeatIntervalMs must be below sessionTimeoutMs');
  const clientId = flat.clientId ?? defaultClientId();
  return {
    ...flat,
    brokers: [...flat.brokers],
    clientId,
    ceSource: flat.ceSource ?? `/app/${clientId}`,
    ssl: options.ssl ?? false,
    sasl: options.sasl,
    logger: options.logger ?? silentLogger,
  };
}

function checkSasl(sasl: KafkaBusOptions['sasl']): void {
  if (sasl !== undefined) {
    if (sasl === null || typeof sasl !== 'object') throw invalid('sasl must be an object { mechanism, username, password } or { mechanism: \'oauthbearer\', token }');
    if (sasl.mechanism === 'oauthbearer') {
      if (typeof sasl.token !== 'function') throw invalid('sasl with mechanism oauthbearer needs token, a function returning the bearer token');
      const problem = sasl.extensions === undefined ? undefined : extensionsProblem(sasl.extensions);
      if (problem !== undefined) throw invalid(`sasl.extensions: ${problem}`);
    } else {
      if (!['plain', 'scram-sha-256', 'scram-sha-512'].includes(sasl.mechanism)) {
        throw invalid(`sasl.mechanism must be plain, scram-sha-256, scram-sha-512 or oauthbearer, got ${String(sasl.mechanism)}`);
      }
      if (!sasl.username || typeof sasl.password !== 'string') throw invalid('sasl needs a username and a password');
    }
  }
}
