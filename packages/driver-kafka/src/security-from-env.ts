import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { BusError, describeError } from '@app/core';
import { extensionsProblem } from './oauth-bearer-authenticator.js';
import { oauthTokenProvider, type OAuthTokenOrigin } from './oauth-token-source.js';
import type { KafkaSaslMechanism, KafkaSaslOptions } from './options.js';

/** The `KAFKA_SSL*`, `KAFKA_SASL_*` and `KAFKA_OAUTH_*` values, as the settings table read them. */
export interface SecurityEnv {
  readonly ssl?: boolean | undefined;
  readonly sslCaFile?: string | undefined;
  readonly sslCertFile?: string | undefined;
  readonly sslKeyFile?: string | undefined;
  readonly sslServername?: string | undefined;
  readonly saslMechanism?: KafkaSaslMechanism | undefined;
  readonly saslUsername?: string | undefined;
  readonly saslPassword?: string | undefined;
  readonly oauthTokenCommand?: string | undefined;
  readonly oauthTokenFile?: string | undefined;
  readonly oauthToken?: string | undefined;
  readonly oauthExtensions?: string | undefined;
}

function config(message: string): BusError {
  return new BusError('config', message);
}

function readPem(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new BusError('config', `${variable}=${path} cannot be read: ${describeError(error)}`, { cause: error });
  }
}

/**
 * `ssl` of the factory options: false unless `KAFKA_SSL` is true or a TLS file or servername is
 * set. Throws a `config` error naming the variable for a file that cannot be read, a certificate
 * without its key (or the reverse), or `KAFKA_SSL=false` together with TLS files.
 */
export function sslFromEnv(env: SecurityEnv): boolean | ConnectionOptions {
  const tlsVariables = [
    ['KAFKA_SSL_CA_FILE', env.sslCaFile],
    ['KAFKA_SSL_CERT_FILE', env.sslCertFile],
    ['KAFKA_SSL_KEY_FILE', env.sslKeyFile],
    ['KAFKA_SSL_SERVERNAME', env.sslServername],
  ] as const;
  const given = tlsVariables.filter(([, value]) => value !== undefined).map(([variable]) => variable);
  if (env.ssl === false && given.length > 0) throw config(`KAFKA_SSL=false, but ${given.join(' and ')} ${given.length === 1 ? 'is' : 'are'} set: remove ${given.length === 1 ? 'it' : 'them'} or set KAFKA_SSL=true`);
  if ((env.sslCertFile === undefined) !== (env.sslKeyFile === undefined)) {
    throw config(env.sslCertFile === undefined ? 'KAFKA_SSL_KEY_FILE is set but KAFKA_SSL_CERT_FILE is not: mutual TLS needs both' : 'KAFKA_SSL_CERT_FILE is set but KAFKA_SSL_KEY_FILE is not: mutual TLS needs both');
  }
  if (!(env.ssl ?? given.length > 0)) return false;
  if (given.length === 0) return true;
  return {
    ...(env.sslCaFile === undefined ? {} : { ca: [readPem('KAFKA_SSL_CA_FILE', env.sslCaFile)] }),
    ...(env.sslCertFile === undefined ? {} : { cert: readPem('KAFKA_SSL_CERT_FILE', env.sslCertFile) }),
    ...(env.sslKeyFile === undefined ? {} : { key: readPem('KAFKA_SSL_KEY_FILE', env.sslKeyFile) }),
    ...(env.sslServername === undefined ? {} : { servername: env.sslServername }),
  };
}

function tokenOrigin(env: SecurityEnv): OAuthTokenOrigin {
  const origins: OAuthTokenOrigin[] = [];
  if (env.oauthTokenCommand !== undefined) origins.push({ kind: 'command', variable: 'KAFKA_OAUTH_TOKEN_COMMAND', command: env.oauthTokenCommand });
  if (env.oauthTokenFile !== undefined) origins.push({ kind: 'file', variable: 'KAFKA_OAUTH_TOKEN_FILE', path: env.oauthTokenFile });
  if (env.oauthToken !== undefined) origins.push({ kind: 'fixed', variable: 'KAFKA_OAUTH_TOKEN', token: env.oauthToken });
  const [origin, second] = origins;
  if (origin === undefined) throw config('KAFKA_SASL_MECHANISM=oauthbearer needs one of KAFKA_OAUTH_TOKEN_COMMAND, KAFKA_OAUTH_TOKEN_FILE or KAFKA_OAUTH_TOKEN');
  if (second !== undefined) throw config(`${origins.map((o) => o.variable).join(' and ')} are both set: KAFKA_SASL_MECHANISM=oauthbearer takes its token from one of them`);
  return origin;
}

/** `KAFKA_OAUTH_EXTENSIONS` (`key=value,key=value`) as an object; a `config` error names a bad entry. */
function extensionsFromEnv(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const extensions: Record<string, string> = {};
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const at = entry.indexOf('=');
    if (at <= 0) throw config(`KAFKA_OAUTH_EXTENSIONS: "${entry}" is not key=value (e.g. logicalCluster=lkc-abc12,identityPoolId=pool-Ab1c)`);
    extensions[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  const problem = extensionsProblem(extensions);
  if (problem !== undefined) throw config(`KAFKA_OAUTH_EXTENSIONS: ${problem}`);
  return extensions;
}

/**
 * `sasl` of the factory options, or undefined without `KAFKA_SASL_MECHANISM`. Throws a `config`
 * error naming the variable for credentials without a mechanism, a password mechanism without
 * username and password, `oauthbearer` with none or several token sources, and a token source or
 * username/password given to the other kind of mechanism.
 */
export function saslFromEnv(env: SecurityEnv): KafkaSaslOptions | undefined {
  const passwordVars = [['KAFKA_SASL_USERNAME', env.saslUsername], ['KAFKA_SASL_PASSWORD', env.saslPassword]] as const;
  const tokenVars = [['KAFKA_OAUTH_TOKEN_COMMAND', env.oauthTokenCommand], ['KAFKA_OAUTH_TOKEN_FILE', env.oauthTokenFile], ['KAFKA_OAUTH_TOKEN', env.oauthToken], ['KAFKA_OAUTH_EXTENSIONS', env.oauthExtensions]] as const;
  const set = (vars: readonly (readonly [string, string | undefined])[]) => vars.filter(([, value]) => value !== undefined).map(([variable]) => variable);
  const mechanism = env.saslMechanism;
  if (mechanism === undefined) {
    const stray = [...set(passwordVars), ...set(tokenVars)][0];
    if (stray !== undefined) throw config(`${stray} is set but KAFKA_SASL_MECHANISM is not (plain, scram-sha-256, scram-sha-512 or oauthbearer)`);
    return undefined;
  }
  if (mechanism === 'oauthbearer') {
    const stray = set(passwordVars)[0];
    if (stray !== undefined) throw config(`${stray} is set but KAFKA_SASL_MECHANISM=oauthbearer takes a token (KAFKA_OAUTH_TOKEN_COMMAND, KAFKA_OAUTH_TOKEN_FILE or KAFKA_OAUTH_TOKEN), not a username and password`);
    const extensions = extensionsFromEnv(env.oauthExtensions);
    return { mechanism, token: oauthTokenProvider(tokenOrigin(env)), ...(extensions === undefined ? {} : { extensions }) };
  }
  const stray = set(tokenVars)[0];
  if (stray !== undefined) throw config(`${stray} is set but KAFKA_SASL_MECHANISM=${mechanism} logs in with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD; set KAFKA_SASL_MECHANISM=oauthbearer to use a token`);
  if (env.saslUsername === undefined || env.saslPassword === undefined) {
    throw config(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
  }
  return { mechanism, username: env.saslUsername, password: env.saslPassword };
}
