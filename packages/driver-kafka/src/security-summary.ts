import type { BusSecurity } from '@app/core';
import type { ResolvedKafkaBusOptions } from './options.js';

/**
 * The security protocol (Kafka's names) and SASL mechanism the bus connects with, for `/readyz`
 * and the start-up log. Built from the options' shape only: no credential, token or file path.
 */
export function securitySummary(options: Pick<ResolvedKafkaBusOptions, 'ssl' | 'sasl'>): BusSecurity {
  const tls = options.ssl !== false;
  if (options.sasl === undefined) return { protocol: tls ? 'SSL' : 'PLAINTEXT' };
  return { protocol: tls ? 'SASL_SSL' : 'SASL_PLAINTEXT', mechanism: options.sasl.mechanism };
}
