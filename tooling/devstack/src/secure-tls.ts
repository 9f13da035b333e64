import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './errors.ts';

/** The secure stack's certificates: a private CA, and one server certificate it signed. */
export interface StackCertificates {
  /** The CA's certificate (PEM): what clients trust (`KAFKA_SSL_CA_FILE`, `REDIS_TLS_CA_FILE`). */
  caFile: string;
  /** The server's certificate (PEM), for 127.0.0.1 and localhost; Redis and the broker share it. */
  certFile: string;
  /** Its private key (PKCS#8 PEM, unencrypted, 0600). */
  keyFile: string;
  /** Key and certificate in one PEM file: the broker's keystore (`ssl.keystore.type=PEM`). */
  keystoreFile: string;
}

const CA_DAYS = 3650;
const SERVER_DAYS = 825;
/** A certificate this close to its end is made again (with the CA, if that is what expires). */
const RENEW_MS = 30 * 24 * 3_600_000;

/**
 * The CA and server certificate in `dir`, made with openssl at first start and reused after,
 * so a client that saved the CA keeps trusting the stack. EC P-256 keys: quick to make, and
 * every party here (Java 17, OpenSSL in Redis and Node) speaks them.
 */
export function ensureCertificates(dir: string): StackCertificates {
  const files = {
    caFile: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    keystoreFile: join(dir, 'server-keystore.pem'),
  };
  const { caKey, ...certificates } = files;
  if (Object.values(files).every(existsSync) && !expiring(files.caFile, files.certFile)) {
    return certificates;
  }
  assertOpenssl();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const file of Object.values(files)) rmSync(file, { force: true });
  const ext = join(dir, 'server.ext');
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    ['req', '-x509', ...key, '-keyout', caKey, '-out', files.caFile]
      .concat(['-days', String(CA_DAYS), '-subj', '/CN=kafka-ecs local stack CA'])
      .concat(['-addext', 'basicConstraints=critical,CA:TRUE'])
      .concat(['-addext', 'keyUsage=critical,keyCertSign,cRLSign']),
  );
  const csr = join(dir, 'server.csr');
  openssl(['req', '-new', ...key, '-keyout', files.keyFile, '-out', csr, '-subj', '/CN=localhost']);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', files.caFile, '-CAkey', caKey]
      .concat(['-CAcreateserial', '-out', files.certFile, '-days', String(SERVER_DAYS)])
      .concat(['-extfile', ext]),
  );
  rmSync(csr, { force: true });
  rmSync(ext, { force: true });
  rmSync(join(dir, 'ca.srl'), { force: true });
  for (const secret of [caKey, files.keyFile]) chmodSync(secret, 0o600);
  writeFileSync(
    files.keystoreFile,
    readFileSync(files.keyFile, 'utf8') + readFileSync(files.certFile, 'utf8'),
    { mode: 0o600 },
  );
  return certificates;
}

function expiring(...pems: string[]): boolean {
  return pems.some((file) => {
    try {
      const validTo = Date.parse(new X509Certificate(readFileSync(file)).validTo);
      return !(validTo - Date.now() > RENEW_MS);
    } catch {
      return true; // unreadable: make it again
    }
  });
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) {
    const why = (result.stderr || String(result.error)).trim().split('\n')[0];
    throw new StackError(`openssl ${args[0]} failed while making the stack's certificates: ${why}`);
  }
}

function assertOpenssl(): void {
  if (spawnSync('openssl', ['version']).error) {
    throw new StackError(
      'openssl is not installed (the secure stack makes its certificates with it): sudo apt-get install openssl',
    );
  }
}
