import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Secret } from '#src/lib/secret.ts';
import type { Finding } from './findings.ts';

export interface TlsMaterial {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
  readonly key: Secret;
  readonly validTo: Date;
}

type TlsProblem = Omit<Finding, 'level'>;

/**
 * The TLS matrix of SPEC §2: both files readable and matching → HTTPS; neither → plain HTTP;
 * anything else is a problem the caller reports (an error in production, a warning otherwise).
 */
export function evaluateTls(
  certPath: string | undefined,
  keyPath: string | undefined,
): { tls: TlsMaterial | null; problems: TlsProblem[] } {
  if (!certPath && !keyPath) return { tls: null, problems: [] };
  if (!certPath || !keyPath) {
    const [present, missing] = certPath
      ? ['SERVER_TLS_CERT', 'SERVER_TLS_KEY']
      : ['SERVER_TLS_KEY', 'SERVER_TLS_CERT'];
    return {
      tls: null,
      problems: [
        {
          id: 'hoplink.E006',
          setting: missing,
          message: `${present} is set but ${missing} is not: half a TLS pair.`,
          hint: `Set ${missing} too for HTTPS, or unset ${present} to serve plain HTTP behind a proxy.`,
        },
      ],
    };
  }

  const problems: TlsProblem[] = [];
  const cert = readPem(certPath, 'SERVER_TLS_CERT', problems);
  const key = readPem(keyPath, 'SERVER_TLS_KEY', problems);
  if (cert === null || key === null) return { tls: null, problems };

  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    problems.push({
      id: 'hoplink.E008',
      setting: 'SERVER_TLS_CERT',
      message: `${certPath} does not hold a PEM certificate.`,
      hint: 'Point SERVER_TLS_CERT at the PEM certificate (chain) file.',
    });
    return { tls: null, problems };
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(key))) {
      problems.push({
        id: 'hoplink.E008',
        setting: 'SERVER_TLS_KEY',
        message: `the key in ${keyPath} does not match the certificate in ${certPath}.`,
        hint: 'Use the private key the certificate was issued for.',
      });
      return { tls: null, problems };
    }
  } catch {
    problems.push({
      id: 'hoplink.E008',
      setting: 'SERVER_TLS_KEY',
      message: `${keyPath} does not hold a PEM private key (or it is encrypted).`,
      hint: 'Point SERVER_TLS_KEY at an unencrypted PEM private key file.',
    });
    return { tls: null, problems };
  }
  return {
    tls: { certPath, keyPath, cert, key: new Secret(key), validTo: new Date(certificate.validTo) },
    problems,
  };
}

function readPem(path: string, setting: string, problems: TlsProblem[]): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    problems.push({
      id: 'hoplink.E007',
      setting,
      message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      hint: `Check the path and that the server's user may read it.`,
    });
    return null;
  }
}
