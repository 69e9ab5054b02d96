import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@app/core';
import { Inbox } from '@app/core/testing';
import { driver } from '@app/driver-kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from './bus-factory.js';
import { cleanUpPrefix } from './raw-kafka.js';
import { skipTls, tlsListeners } from './tls-support.js';

const topicPrefix = `${uniqueName('oauthrefresh')}.`;
afterAll(() => cleanUpPrefix(topicPrefix));

/** Token lifetime: the listener ends a session at its token's exp, kafkajs re-authenticates 10 s before. */
const LIFETIME_S = 24;

describe.skipIf(skipTls)('OAUTHBEARER token refresh', () => {
  it('fetches a new token from KAFKA_OAUTH_TOKEN_COMMAND before the old one expires, and a stream goes on', async () => {
    const tls = tlsListeners();
    const log = join(tmpdir(), `${uniqueName('token-log')}.txt`);
    writeFileSync(log, '');
    // Each run mints an unsecured JWS that expires in LIFETIME_S and notes its exp in the log.
    const mint = [
      `const now = Math.floor(Date.now() / 1000), exp = now + ${LIFETIME_S};`,
      "const b = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');",
      `require('fs').appendFileSync(${JSON.stringify(log)}, exp + '\\n');`,
      "process.stdout.write(b({ alg: 'none' }) + '.' + b({ sub: 'app', iat: now, exp }) + '.');",
    ].join(' ');
    const bus = await driver.create(
      {
        KAFKA_BROKERS: tls.oauthBrokers, KAFKA_TOPIC_PREFIX: topicPrefix, KAFKA_SSL_CA_FILE: tls.caFile,
        KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN_COMMAND: `'${process.execPath}' -e "${mint.replace(/"/g, '\\"')}"`,
      },
      { logger: silentLogger },
    );
    const minted = () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number);
    try {
      const inbox = new Inbox();
      await bus.subscribe('oauth:stream', inbox.handler);
      const first = minted();
      expect(first.length).toBeGreaterThanOrEqual(1);
      // Publish past the first token's exp: every connection must re-authenticate with a newer one.
      const until = Math.max(...first) * 1000 + 4000;
      let sent = 0;
      while (Date.now() < until) {
        await bus.publish('oauth:stream', sent);
        sent += 1;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await inbox.waitFor(sent, 20_000);
      expect(inbox.data).toEqual(Array.from({ length: sent }, (_, k) => k));
      expect(bus.status()).toBe('ready');
      // Newer tokens came from the command (not the cached one again), before the first expired.
      const later = minted().slice(first.length);
      expect(later.length).toBeGreaterThanOrEqual(1);
      expect(Math.max(...later)).toBeGreaterThan(Math.max(...first));
    } finally {
      await bus.close();
    }
  }, 90_000);
});
