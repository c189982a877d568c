import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isLoopbackDsn, parseSentryDsn } from '#src/lib/sentry-dsn.ts';
import { finding } from './finding-registry.ts';
import type { Finding } from './findings.ts';
import { formatListenAddress, isLoopbackHost } from './listen-address.ts';
import type { LoadedSettings, Settings } from './load-settings.ts';

/**
 * The production audit behind `hoplink check --deploy` (SPEC §4), in the spirit of Django's
 * deployment checks. Pure over the loaded settings, except for reading file modes.
 */
export function deployChecks({ settings, environment }: LoadedSettings): Finding[] {
  const findings: Finding[] = [];

  // Loading already refuses DEBUG in production; the audit flags it in any other profile.
  if (settings.debug && settings.profile !== 'production') findings.push(finding('W015'));
  if (settings.profile !== 'production')
    findings.push(finding('W018', { profile: settings.profile }));
  if (!settings.secureSslRedirect) findings.push(finding('W001'));
  if (settings.secureHstsSeconds === 0) {
    findings.push(finding('W002'));
  } else {
    if (!settings.secureHstsIncludeSubdomains) findings.push(finding('W003'));
    // Not a warning (it was W004): preloading binds every subdomain for months, so leaving it off
    // is a sound default and turning it on a deliberate act. Decision 0015.
    if (!settings.secureHstsPreload) findings.push(finding('I003'));
  }
  if (!settings.sessionCookieSecure) findings.push(finding('W005'));
  if (!settings.csrfCookieSecure) findings.push(finding('W006'));
  if (settings.xFrameOptions !== 'DENY')
    findings.push(finding('W007', { value: settings.xFrameOptions }));
  if (!settings.secureContentTypeNosniff) findings.push(finding('W008'));
  const policy = settings.secureReferrerPolicy;
  if (policy === '' || policy === 'unsafe-url') findings.push(finding('W009', { policy }));
  // An unset SITE_URL is already an error (E011); the value here would be the development stand-in.
  const siteUrlGiven = environment.values.get('SITE_URL')?.value.trim();
  if (settings.profile === 'production' && siteUrlGiven && !settings.siteUrl.startsWith('https://'))
    findings.push(finding('W010'));
  if (settings.cspReportOnly && settings.profile === 'production') findings.push(finding('W011'));
  if (settings.passwordMinLength < 12)
    findings.push(finding('W012', { length: settings.passwordMinLength }));
  // An invalid ADMIN_PATH is already an error (E010): the value here would be the stand-in default.
  const adminPathGiven = environment.values.get('ADMIN_PATH')?.value.trim();
  if (
    settings.adminPath === '/admin' &&
    (adminPathGiven === undefined || adminPathGiven.replace(/\/$/, '') === '/admin')
  )
    findings.push(finding('W013'));
  for (const file of environment.files) {
    if (!file.holdsSecrets) continue;
    try {
      if ((statSync(file.path).mode & 0o004) !== 0)
        findings.push(finding('W014', { path: file.path }));
    } catch {
      // Unreadable files are reported when they are read.
    }
  }
  // With Redis, web processes spool click batches under DATA_DIR while it is unreachable.
  const dataDirProblem =
    settings.queueMode === 'redis' ? unwritableDirectory(settings.dataDir) : null;
  if (dataDirProblem) findings.push(finding('W021', { problem: dataDirProblem }));
  findings.push(...metricsExposure(settings));
  const sentryDsn = settings.sentryDsn ? parseSentryDsn(settings.sentryDsn.reveal()) : null;
  if (sentryDsn?.protocol === 'http' && !isLoopbackDsn(sentryDsn))
    findings.push(finding('W023', { host: sentryDsn.host }));
  if (settings.registrationMode === 'open' && !settings.emailVerification)
    findings.push(finding('W025'));
  if (settings.clickVisitorRetentionDays < 2) findings.push(finding('W024'));
  // Only a note: staff sessions guard the area anyway, and many teams have no fixed network.
  if (settings.adminAllowedIps.length === 0) findings.push(finding('I002'));
  // A note too: how long to keep clicks is the operator's call (decision 0024).
  if (settings.clickRetentionDays === 0) findings.push(finding('I004'));
  return findings;
}

/** W022: a metrics listener other machines can reach, with no token asked (decision 0022). */
function metricsExposure(settings: Settings): Finding[] {
  if (settings.metricsToken) return [];
  const listeners = [
    ['METRICS_LISTEN', settings.metricsListen],
    ['WORKER_METRICS_LISTEN', settings.workerMetricsListen],
  ] as const;
  return listeners.flatMap(([setting, address]) =>
    address && !isLoopbackHost(address.host)
      ? [finding('W022', { setting, address: formatListenAddress(address) })]
      : [],
  );
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
