import { BusError, describeError, isBusError, type BusErrorReason } from '@app/core';

/** The fields of kafkajs errors this mapping reads; kafkajs's classes are not exported as types. */
interface KafkaJsErrorShape {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
  message?: unknown;
  code?: unknown;
}

/**
 * Node's TLS verification failures (kafkajs keeps them as `code` on its connection error): the
 * same settings fail the same way, so they are not retryable. Value: what to tell the operator.
 */
const UNKNOWN_CA = "the broker's certificate is not signed by a trusted CA (set KAFKA_SSL_CA_FILE to the PEM of the CA that signed it)";
const TLS_TRUST_CODES: ReadonlyMap<string, string> = new Map([
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', UNKNOWN_CA],
  ['UNABLE_TO_GET_ISSUER_CERT', UNKNOWN_CA],
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', UNKNOWN_CA],
  ['SELF_SIGNED_CERT_IN_CHAIN', UNKNOWN_CA],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', UNKNOWN_CA],
  ['CERT_HAS_EXPIRED', "the broker's certificate has expired"],
  ['CERT_NOT_YET_VALID', "the broker's certificate is not valid yet (check the clocks)"],
  ['ERR_TLS_CERT_ALTNAME_INVALID', "the broker's certificate does not name the host connected to (check KAFKA_BROKERS, or set KAFKA_SSL_SERVERNAME to a name it holds)"],
]);
/** The broker refused our TLS handshake: usually a missing or untrusted client certificate. */
const TLS_REFUSED_CODES = /^ERR_SSL_.*ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE|ACCESS_DENIED)$/;

const CONNECTION_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSGroupCoordinatorNotFound',
]);
const TIMEOUT_ERRORS = new Set(['KafkaJSRequestTimeoutError', 'KafkaJSTimeout', 'KafkaJSLockTimeout']);
const AUTH_TYPES = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'DELEGATION_TOKEN_AUTH_DISABLED',
]);
const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);
const NO_LEADER_TYPES = new Set(['LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER']);
const TOO_FEW_REPLICAS_TYPES = new Set(['NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND']);
const CONFIG_TYPES = new Set(['INVALID_REPLICATION_FACTOR', 'INVALID_PARTITIONS', 'POLICY_VIOLATION', 'INVALID_CONFIG', 'INVALID_TOPIC_EXCEPTION']);

function shape(error: unknown): KafkaJsErrorShape {
  return error !== null && typeof error === 'object' ? (error as KafkaJsErrorShape) : {};
}

/** The error and every `cause`/`originalError` under it, outermost first. */
function chain(error: unknown): KafkaJsErrorShape[] {
  const result: KafkaJsErrorShape[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && result.length < 10) {
    const fields = shape(current);
    result.push(fields);
    current = fields.cause ?? fields.originalError;
  }
  return result;
}

function tlsProblem(links: readonly KafkaJsErrorShape[]): { reason: BusErrorReason; hint: string } | undefined {
  for (const link of links) {
    const code = String(link.code ?? '');
    const trust = TLS_TRUST_CODES.get(code);
    if (trust !== undefined) return { reason: 'config', hint: ` (TLS: ${trust})` };
    if (TLS_REFUSED_CODES.test(code)) {
      return { reason: 'unauthorized', hint: ' (TLS: the broker refused the handshake; it may require a client certificate signed by a CA it trusts: KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE)' };
    }
  }
  return undefined;
}

function classify(links: readonly KafkaJsErrorShape[]): { reason: BusErrorReason; retryable: boolean } {
  const tls = tlsProblem(links);
  if (tls !== undefined) return { reason: tls.reason, retryable: false };
  for (const link of links) {
    const name = String(link.name ?? '');
    const type = String(link.type ?? '');
    if (name === 'KafkaJSSASLAuthenticationError' || name === 'OAuthBearerAuthenticationError' || AUTH_TYPES.has(type)) return { reason: 'unauthorized', retryable: false };
    if (TOO_LARGE_TYPES.has(type)) return { reason: 'payload_too_large', retryable: false };
    if (CONFIG_TYPES.has(type)) return { reason: 'config', retryable: false };
  }
  for (const link of links) {
    const name = String(link.name ?? '');
    if (CONNECTION_ERRORS.has(name)) return { reason: 'not_connected', retryable: true };
    if (TIMEOUT_ERRORS.has(name)) return { reason: 'timeout', retryable: true };
  }
  const outer = links[0] ?? {};
  // Running out of retries means the cluster kept failing: worth trying again later.
  if (outer.name === 'KafkaJSNumberOfRetriesExceeded') return { reason: 'not_connected', retryable: true };
  const innermost = links[links.length - 1] ?? {};
  return { reason: 'broker', retryable: innermost.retriable !== false };
}

/** What to check or expect, after the error's own text. */
function hintFor(reason: BusErrorReason, links: readonly KafkaJsErrorShape[]): string {
  const tls = tlsProblem(links);
  if (tls !== undefined) return tls.hint;
  const types = links.map((link) => String(link.type ?? ''));
  if (types.some((type) => TOO_FEW_REPLICAS_TYPES.has(type))) {
    return ' (not enough in-sync replicas: fewer brokers hold the partition than its min.insync.replicas; publishes are accepted again once enough brokers are back)';
  }
  if (types.some((type) => NO_LEADER_TYPES.has(type))) return ' (the partition has no leader: a broker is down or a leader election is under way)';
  if (reason === 'unauthorized') {
    return /oauthbearer/i.test(links.map((link) => String(link.message ?? '')).join(' '))
      ? ' (check KAFKA_SASL_MECHANISM and the token from KAFKA_OAUTH_TOKEN_COMMAND, KAFKA_OAUTH_TOKEN_FILE or KAFKA_OAUTH_TOKEN: expired, or not accepted by the broker?)'
      : ' (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and the ACLs)';
  }
  return reason === 'not_connected' ? ' (is the broker up and KAFKA_BROKERS right?)' : '';
}

/**
 * The one place kafkajs errors become `BusError`s. `doing` says what was attempted, e.g.
 * `publish to topic "game"`; the original error stays as `cause`. A `BusError` passes through.
 */
export function mapKafkaError(error: unknown, doing: string): BusError {
  if (isBusError(error)) return error;
  const links = chain(error);
  // Our own error from inside kafkajs (e.g. the OAUTHBEARER token source) keeps its reason.
  const ours = links.find((link): link is KafkaJsErrorShape & BusError => isBusError(link));
  if (ours !== undefined) return new BusError(ours.reason, `${doing} failed: ${ours.message}`, { cause: error, retryable: ours.isRetryable });
  const { reason, retryable } = classify(links);
  const details = links
    .map((link) => (typeof link.message === 'string' ? link.message.trim() : ''))
    .filter((text, index, all) => text.length > 0 && all.indexOf(text) === index)
    .join(': ');
  const hint = hintFor(reason, links);
  return new BusError(reason, `${doing} failed: ${details || describeError(error)}${hint}`, { cause: error, retryable });
}

/**
 * An error thrown by our own code (or by a callback it called) while handing a record on:
 * `internal`, not retryable, the original as `cause`. A `BusError` passes through.
 */
export function mapDispatchError(error: unknown, doing: string): BusError {
  if (isBusError(error)) return error;
  return new BusError('internal', `${doing} failed: ${describeError(error)}`, { cause: error, retryable: false });
}
