// Throwaway TLS material for the local cluster's SSL, SASL_SSL and OAUTHBEARER listeners (tests only).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, paths, TLS_STORE_PASSWORD } from './config.mjs';
import { fail, log } from './output.mjs';

/** PEM files (and the broker's PKCS12 keystore) under `<data dir>/tls/`, by role. */
export const tlsFiles = {
  dir: () => paths.tls,
  caCert: () => join(paths.tls, 'ca.pem'),
  caKey: () => join(paths.tls, 'ca.key'),
  brokerCert: () => join(paths.tls, 'broker.pem'),
  brokerKey: () => join(paths.tls, 'broker.key'),
  brokerKeystore: () => join(paths.tls, 'broker.p12'),
  clientCert: () => join(paths.tls, 'client.pem'),
  clientKey: () => join(paths.tls, 'client.key'),
  otherCaCert: () => join(paths.tls, 'other-ca.pem'),
  otherCaKey: () => join(paths.tls, 'other-ca.key'),
  otherClientCert: () => join(paths.tls, 'other-client.pem'),
  otherClientKey: () => join(paths.tls, 'other-client.key'),
};

const DAYS = '3650';

function openssl(args, what) {
  const res = spawnSync(process.env.OPENSSL?.trim() || 'openssl', args, { encoding: 'utf8', cwd: paths.tls });
  if (res.error || res.status !== 0) {
    fail(`openssl failed ${what} (exit ${res.status}): ${(res.stderr || res.error?.message || '').trim()}\n  Install openssl or set OPENSSL=/path/to/openssl.`);
  }
}

function selfSignedCa(cert, key, cn) {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', DAYS, '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], `making the CA "${cn}"`);
}

/** A leaf key and certificate signed by the given CA; `ext` lines go into an extension file. */
function signedLeaf({ cert, key, cn, caCert, caKey, ext }) {
  const csr = `${cert}.csr`;
  const extFile = `${cert}.ext`;
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`], `making the key of "${cn}"`);
  writeFileSync(extFile, `${ext.join('\n')}\n`);
  openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', DAYS, '-sha256', '-extfile', extFile],
    `signing the certificate of "${cn}"`);
  rmSync(csr, { force: true });
  rmSync(extFile, { force: true });
}

/**
 * Makes the CA, the broker certificate (SAN localhost and 127.0.0.1), a client certificate for
 * mutual TLS, and a second CA with its own client certificate that the brokers do not trust (for
 * failure tests), unless they already exist: later `up`s reuse them, so clients keep trusting the
 * same CA. Needs openssl on the PATH.
 */
export function ensureTlsMaterial() {
  const all = Object.entries(tlsFiles).filter(([k]) => k !== 'dir').map(([, f]) => f());
  if (all.every((f) => existsSync(f))) return false;
  rmSync(paths.tls, { recursive: true, force: true }); // half-made from an interrupted run: start over
  ensureDir(paths.tls);
  log(`generating a throwaway CA and certificates in ${paths.tls} (tests only) ...`);
  selfSignedCa(tlsFiles.caCert(), tlsFiles.caKey(), 'realtime-bus local Kafka test CA');
  signedLeaf({
    cert: tlsFiles.brokerCert(), key: tlsFiles.brokerKey(), cn: 'localhost', caCert: tlsFiles.caCert(), caKey: tlsFiles.caKey(),
    ext: ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth,clientAuth', 'basicConstraints=CA:FALSE'],
  });
  signedLeaf({
    cert: tlsFiles.clientCert(), key: tlsFiles.clientKey(), cn: 'app-client', caCert: tlsFiles.caCert(), caKey: tlsFiles.caKey(),
    ext: ['extendedKeyUsage=clientAuth', 'basicConstraints=CA:FALSE'],
  });
  selfSignedCa(tlsFiles.otherCaCert(), tlsFiles.otherCaKey(), 'realtime-bus unknown test CA');
  signedLeaf({
    cert: tlsFiles.otherClientCert(), key: tlsFiles.otherClientKey(), cn: 'stranger', caCert: tlsFiles.otherCaCert(), caKey: tlsFiles.otherCaKey(),
    ext: ['extendedKeyUsage=clientAuth', 'basicConstraints=CA:FALSE'],
  });
  // Kafka reads the broker key from a PKCS12 keystore (its PEM keystore wants PKCS#8 inline config).
  openssl(['pkcs12', '-export', '-in', tlsFiles.brokerCert(), '-inkey', tlsFiles.brokerKey(), '-certfile', tlsFiles.caCert(), '-name', 'broker',
    '-out', tlsFiles.brokerKeystore(), '-passout', `pass:${TLS_STORE_PASSWORD}`], 'writing the broker keystore');
  return true;
}
