import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LoadedSettings } from './load-settings.ts';
import type { Finding } from './findings.ts';

const ONE_YEAR = 31_536_000;

/**
 * The production audit behind `hoplink check --deploy` (SPEC §4), in the spirit of Django's
 * deployment checks. Pure over the loaded settings, except for reading file modes.
 */
export function deployChecks({ settings, environment }: LoadedSettings): Finding[] {
  const findings: Finding[] = [];
  const warn = (id: string, setting: string | undefined, message: string, hint: string) => {
    findings.push({ id, level: 'warning', ...(setting ? { setting } : {}), message, hint });
  };
  const note = (id: string, setting: string, message: string, hint: string) => {
    findings.push({ id, level: 'info', setting, message, hint });
  };

  if (settings.debug) {
    // Loading already refuses DEBUG in production; the audit flags it in any profile.
    if (settings.profile !== 'production') {
      warn('hoplink.W015', 'DEBUG', 'is on.', 'Deploy with NODE_ENV=production and DEBUG unset.');
    }
  }
  if (settings.profile !== 'production') {
    warn(
      'hoplink.W018',
      'NODE_ENV',
      `is "${settings.profile}", not production.`,
      'Set NODE_ENV=production on servers: it turns on the strict checks.',
    );
  }
  if (!settings.secureSslRedirect) {
    warn(
      'hoplink.W001',
      'SECURE_SSL_REDIRECT',
      'is off: plain-HTTP requests are served instead of redirected to HTTPS.',
      'Configure TLS, or set SECURE_SSL_REDIRECT=true when a proxy terminates TLS (with TRUST_PROXY_HEADERS).',
    );
  }
  if (settings.secureHstsSeconds === 0) {
    warn(
      'hoplink.W002',
      'SECURE_HSTS_SECONDS',
      'is 0: browsers are not told to insist on HTTPS.',
      `Set SECURE_HSTS_SECONDS (try 3600 first, then ${ONE_YEAR}) once HTTPS works everywhere.`,
    );
  } else {
    if (!settings.secureHstsIncludeSubdomains) {
      warn(
        'hoplink.W003',
        'SECURE_HSTS_INCLUDE_SUBDOMAINS',
        'is off: subdomains can still be reached over plain HTTP.',
        'Set SECURE_HSTS_INCLUDE_SUBDOMAINS=true if every subdomain serves HTTPS only.',
      );
    }
    // Not a warning (it was W004): preloading binds every subdomain for months, so leaving it off
    // is a sound default and turning it on a deliberate act. Decision 0015.
    if (!settings.secureHstsPreload) {
      note(
        'hoplink.I003',
        'SECURE_HSTS_PRELOAD',
        "is off: the site is not eligible for the browsers' HSTS preload list; submit it only deliberately.",
        'Leave it off unless you mean to submit the domain at hstspreload.org: every subdomain must serve HTTPS, and leaving the list takes months.',
      );
    }
  }
  if (!settings.sessionCookieSecure) {
    warn(
      'hoplink.W005',
      'SESSION_COOKIE_SECURE',
      'is off: the session cookie may travel over plain HTTP.',
      'Set SESSION_COOKIE_SECURE=true (implied by a TLS pair).',
    );
  }
  if (!settings.csrfCookieSecure) {
    warn(
      'hoplink.W006',
      'CSRF_COOKIE_SECURE',
      'is off: the CSRF cookie may travel over plain HTTP.',
      'Set CSRF_COOKIE_SECURE=true (implied by a TLS pair).',
    );
  }
  if (settings.xFrameOptions !== 'DENY') {
    warn(
      'hoplink.W007',
      'X_FRAME_OPTIONS',
      `is ${settings.xFrameOptions}: pages may be framed by this origin.`,
      'Use DENY unless the site frames its own pages.',
    );
  }
  if (!settings.secureContentTypeNosniff) {
    warn(
      'hoplink.W008',
      'SECURE_CONTENT_TYPE_NOSNIFF',
      'is off: browsers may sniff responses into executable types.',
      'Set SECURE_CONTENT_TYPE_NOSNIFF=true.',
    );
  }
  if (settings.secureReferrerPolicy === '' || settings.secureReferrerPolicy === 'unsafe-url') {
    warn(
      'hoplink.W009',
      'SECURE_REFERRER_POLICY',
      settings.secureReferrerPolicy === ''
        ? 'is empty: no Referrer-Policy is sent.'
        : 'is unsafe-url: full URLs leak to other sites.',
      'Use strict-origin-when-cross-origin (the default) or stricter.',
    );
  }
  // An unset SITE_URL is already an error (E011); the value here would be the development stand-in.
  const siteUrlGiven = environment.values.get('SITE_URL')?.value.trim();
  if (
    settings.profile === 'production' &&
    siteUrlGiven &&
    !settings.siteUrl.startsWith('https://')
  ) {
    warn(
      'hoplink.W010',
      'SITE_URL',
      'is not https: short URLs and emailed links would be sent over plain HTTP.',
      'Use the https:// address the public reaches the site on.',
    );
  }
  if (settings.cspReportOnly && settings.profile === 'production') {
    warn(
      'hoplink.W011',
      'CSP_REPORT_ONLY',
      'is on: the Content-Security-Policy is only reported, not enforced.',
      'Turn it off once the reports are clean.',
    );
  }
  if (settings.passwordMinLength < 12) {
    warn(
      'hoplink.W012',
      'PASSWORD_MIN_LENGTH',
      `is ${settings.passwordMinLength}: short passwords are guessable offline if the database leaks.`,
      'Set PASSWORD_MIN_LENGTH to 12 or more (the default).',
    );
  }
  // An invalid ADMIN_PATH is already an error (E010): the value here would be the stand-in default.
  const adminPathGiven = environment.values.get('ADMIN_PATH')?.value.trim();
  if (
    settings.adminPath === '/admin' &&
    (adminPathGiven === undefined || adminPathGiven.replace(/\/$/, '') === '/admin')
  ) {
    warn(
      'hoplink.W013',
      'ADMIN_PATH',
      'is the default /admin: the staff area is where every scanner looks first.',
      'Set ADMIN_PATH to a path nobody would guess: /staff- and a few random characters (openssl rand -hex 4).',
    );
  }
  for (const file of environment.files) {
    if (!file.holdsSecrets) continue;
    try {
      if ((statSync(file.path).mode & 0o004) !== 0) {
        warn(
          'hoplink.W014',
          undefined,
          `${file.path} holds secrets and is readable by every user on this machine.`,
          `Run: chmod o-rwx ${file.path}`,
        );
      }
    } catch {
      // Unreadable files are reported when they are read.
    }
  }
  // With Redis, web processes spool click batches under DATA_DIR while it is unreachable.
  const dataDirProblem =
    settings.queueMode === 'redis' ? unwritableDirectory(settings.dataDir) : null;
  if (dataDirProblem) {
    warn(
      'hoplink.W021',
      'DATA_DIR',
      `${dataDirProblem}: web processes could not spool clicks there while Redis is unreachable.`,
      'Point DATA_DIR at a writable, persistent volume (the click spool is DATA_DIR/click-spool).',
    );
  }
  // Only a note: staff sessions guard the area anyway, and many teams have no fixed network.
  if (settings.adminAllowedIps.length === 0) {
    note(
      'hoplink.I002',
      'ADMIN_ALLOWED_IPS',
      'is empty: the staff area answers staff sessions from any address.',
      'List the networks staff work from (office, VPN), e.g. ADMIN_ALLOWED_IPS=10.8.0.0/16; other addresses then get a 404.',
    );
  }
  return findings;
}

/** Why `path` cannot become a writable directory (its nearest existing ancestor decides), or null. */
function unwritableDirectory(path: string): string | null {
  let current = resolve(path);
  for (;;) {
    try {
      if (!statSync(current).isDirectory()) return `${current} is not a directory`;
      accessSync(current, constants.W_OK);
      return null;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return `${current} is not writable by this user`;
      const parent = dirname(current);
      if (parent === current) return `no part of ${path} exists`;
      current = parent;
    }
  }
}
