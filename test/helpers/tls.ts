import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsFiles {
  /** A self-signed certificate for localhost. */
  readonly cert: string;
  /** The private key the certificate was issued for. */
  readonly key: string;
  /** A valid private key that does not match the certificate. */
  readonly otherKey: string;
}

/** Writes a fresh self-signed pair (and a second, unrelated key) as PEM files into `dir`. */
export async function writeTlsFiles(dir: string): Promise<TlsFiles> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
  });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const files = {
    cert: join(dir, 'cert.pem'),
    key: join(dir, 'key.pem'),
    otherKey: join(dir, 'other-key.pem'),
  };
  writeFileSync(files.cert, pems.cert);
  writeFileSync(files.key, pems.private, { mode: 0o600 });
  writeFileSync(files.otherKey, other.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  return files;
}
