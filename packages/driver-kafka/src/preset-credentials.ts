import { BusError } from '@app/core';
import { maskUrlPasswords } from '@app/core/driver';
import type { KafkaPreset, PresetNames } from './preset-names.js';

/** What the credential checks look at: a mechanism and, for the password ones, what was given. */
export interface PresetCredentials {
  readonly mechanism: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
}

const SERVICE: Record<KafkaPreset, string> = { 'confluent-cloud': 'Confluent Cloud', 'azure-event-hubs': 'Azure Event Hubs' };

/** Each service's bootstrap address: Confluent's `<cluster>.<region>.<cloud>.confluent.cloud:9092`, Event Hubs' `<namespace>.servicebus.windows.net:9093`. */
const BROKER_SHAPE: Record<KafkaPreset, { readonly pattern: RegExp; readonly expected: string }> = {
  'confluent-cloud': { pattern: /^[a-z0-9][a-z0-9.-]*\.confluent\.cloud:9092$/i, expected: 'the cluster\'s bootstrap server, <cluster>.<region>.<cloud>.confluent.cloud:9092' },
  'azure-event-hubs': { pattern: /^[a-z][a-z0-9-]*\.servicebus\.windows\.net:9093$/i, expected: 'the namespace\'s Kafka endpoint, <namespace>.servicebus.windows.net:9093' },
};

function config(message: string): BusError {
  return new BusError('config', message);
}

/**
 * Throws a `config` error naming the brokers' variable unless every broker has the service's
 * address shape. A bad broker is quoted with any URL password masked (a pasted URL may hold one).
 */
export function checkPresetBrokers(preset: KafkaPreset, brokers: readonly string[], names: PresetNames): void {
  const shape = BROKER_SHAPE[preset];
  const bad = brokers.find((broker) => !shape.pattern.test(broker));
  if (bad === undefined && brokers.length > 0) return;
  const got = bad === undefined ? 'none is set' : `"${maskUrlPasswords(bad)}" is not`;
  throw config(`${names('preset')}=${preset} needs ${names('brokers')} to be ${shape.expected}; ${got}`);
}

/** The host of `Endpoint=sb://<host>/` in a connection string, lower case, or undefined. */
function endpointHost(connectionString: string): string | undefined {
  return /^Endpoint=sb:\/\/([^/;]+)/i.exec(connectionString)?.[1]?.toLowerCase();
}

function checkConfluent(credentials: PresetCredentials, names: PresetNames): void {
  const missing = [
    credentials.username ? undefined : `${names('sasl.username')} (the API key)`,
    credentials.password ? undefined : `${names('sasl.password')} (the API secret)`,
  ].filter((entry) => entry !== undefined);
  if (missing.length > 0) throw config(`${names('preset')}=confluent-cloud with ${names('sasl.mechanism')}=plain needs ${missing.join(' and ')}: create an API key for the cluster`);
}

function checkEventHubs(credentials: PresetCredentials, brokers: readonly string[], names: PresetNames): void {
  const user = names('sasl.username');
  const pass = names('sasl.password');
  const preset = `${names('preset')}=azure-event-hubs`;
  if (credentials.username !== '$ConnectionString') {
    // An empty user is almost always a shell that expanded "$ConnectionString" to nothing.
    const why = credentials.username ? 'is something else' : 'is empty or unset (in a shell, put \'$ConnectionString\' in single quotes)';
    throw config(`${preset} needs ${user} to be the literal $ConnectionString; it ${why}`);
  }
  const password = credentials.password ?? '';
  if (!password.startsWith('Endpoint=sb://')) {
    throw config(`${preset} needs ${pass} to be the namespace's connection string, starting with Endpoint=sb:// (Azure portal: Shared access policies); it ${password === '' ? 'is empty or unset' : 'does not'}`);
  }
  const absent = ['SharedAccessKeyName=', 'SharedAccessKey='].filter((part) => !password.includes(part));
  if (absent.length > 0) throw config(`${preset}: the connection string in ${pass} has no ${absent.join(' and no ')}; copy the whole "Connection string–primary key"`);
  const host = endpointHost(password);
  const brokerHosts = brokers.map((broker) => broker.slice(0, broker.lastIndexOf(':')).toLowerCase());
  if (host !== undefined && !brokerHosts.includes(host)) {
    throw config(`${preset}: the connection string in ${pass} is for another namespace than ${names('brokers')} (${brokerHosts.join(', ')}); use that namespace's connection string or its endpoint`);
  }
}

/**
 * Checks that the credentials look like what the service takes, before any connection: a
 * `config` error naming the variable (or option) says what is missing or wrong, and never quotes
 * a username, password or token. OAUTHBEARER is checked by the token source itself.
 */
export function checkPresetCredentials(preset: KafkaPreset, credentials: PresetCredentials, brokers: readonly string[], names: PresetNames): void {
  const mechanism = credentials.mechanism;
  if (mechanism === undefined) throw config(`${names('preset')}=${preset}: ${SERVICE[preset]} needs SASL; set ${names('sasl.mechanism')} (plain or oauthbearer)`);
  if (mechanism !== 'plain' && mechanism !== 'oauthbearer') {
    throw config(`${names('sasl.mechanism')}=${mechanism} does not work with ${names('preset')}=${preset}: ${SERVICE[preset]} takes plain (${preset === 'confluent-cloud' ? 'API key and secret' : '$ConnectionString and the connection string'}) or oauthbearer`);
  }
  if (mechanism === 'oauthbearer') return;
  if (preset === 'confluent-cloud') checkConfluent(credentials, names);
  else checkEventHubs(credentials, brokers, names);
  // A secret pasted with a newline or a space is refused by the service as a wrong password, which says nothing about why.
  for (const [field, value] of [['sasl.username', credentials.username], ['sasl.password', credentials.password]] as const) {
    if (value !== undefined && value !== value.trim()) throw config(`${names('preset')}=${preset}: ${names(field)} starts or ends with white space (a pasted newline?); remove it`);
  }
}
