import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Secret } from '#src/lib/secret.ts';
import { finding } from './finding-registry.ts';
import type { Finding } from './findings.ts';

export interface TlsMaterial {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
  readonly key: Secret;
  readonly validTo: Date;
}

/**
 * The TLS matrix of SPEC §2: both files readable and matching → HTTPS; neither → plain HTTP;
 * anything else is a problem the caller reports (an error in production, a warning otherwise).
 */
export function evaluateTls(
  certPath: string | undefined,
  keyPath: string | undefined,
): { tls: TlsMaterial | null; problems: Finding[] } {
  if (!certPath && !keyPath) return { tls: null, problems: [] };
  if (!certPath || !keyPath) {
    const [present, missing] = certPath
      ? ['SERVER_TLS_CERT', 'SERVER_TLS_KEY']
      : ['SERVER_TLS_KEY', 'SERVER_TLS_CERT'];
    return { tls: null, problems: [finding('E006', { present, missing })] };
  }

  const problems: Finding[] = [];
  const cert = readPem(certPath, 'SERVER_TLS_CERT', problems);
  const key = readPem(keyPath, 'SERVER_TLS_KEY', problems);
  if (cert === null || key === null) return { tls: null, problems };

  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    problems.push(finding('E008', { reason: 'not a certificate', certPath }));
    return { tls: null, problems };
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(key))) {
      problems.push(finding('E008', { reason: 'mismatch', certPath, keyPath }));
      return { tls: null, problems };
    }
  } catch {
    problems.push(finding('E008', { reason: 'not a key', keyPath }));
    return { tls: null, problems };
  }
  return {
    tls: { certPath, keyPath, cert, key: new Secret(key), validTo: new Date(certificate.validTo) },
    problems,
  };
}

function readPem(path: string, setting: string, problems: Finding[]): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    problems.push(finding('E007', { setting, path, code }));
    return null;
  }
}
