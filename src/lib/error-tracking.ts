import type * as SentryNode from '@sentry/node';
import { maskUrl, scrubText, serializeError, type SafeError } from './log-safety.ts';

/**
 * Optional error tracking with Sentry (decision 0023). The SDK is process-wide by design (one
 * client, global scopes, patched `http`), and so is this module: `startErrorTracking` loads and
 * starts it, `reportError` is a no-op until then. Nothing under `@sentry/` is loaded unless
 * started, and what is sent goes through the scrubbing the logs use (decision 0016).
 */

export interface ErrorTrackingOptions {
  /** A DSN `parseSentryDsn` accepts. */
  readonly dsn: string;
  readonly release: string;
  readonly environment: string;
  /** Share of requests traced, 0 to 1; 0 makes no spans at all. */
  readonly tracesSampleRate: number;
}

export interface ErrorTracking {
  /** Sends what is queued, waiting at most `timeoutMs`, and stops reporting. */
  close(timeoutMs: number): Promise<void>;
}

/** Where an unexpected error happened. Names and ids only: never a payload, a body or a header. */
export interface ErrorReport {
  /** Searchable in Sentry: `request_id`, `job`, `job_id`, `queue`, `source`… */
  readonly tags?: Readonly<Record<string, string | number>>;
  /** The request being served; its URL is masked as in the logs. */
  readonly request?: { readonly method: string; readonly url: string };
  /** The process dies of it. */
  readonly fatal?: boolean;
}

type Sentry = typeof SentryNode;
type SentryEvent = SentryNode.Event;
type Breadcrumb = SentryNode.Breadcrumb;

let active: Sentry | null = null;

/**
 * Default integrations left out: the process roles decide how they die and report it themselves
 * (the SDK's handlers would keep a crashed process alive or print the raw error); console lines
 * and local variables may hold anything; request data is headers, cookies and query strings
 * (reportError names the request itself); release-health sessions were not asked for. Http is
 * added back below, configured.
 */
const LEFT_OUT = new Set([
  'OnUncaughtException',
  'OnUnhandledRejection',
  'Console',
  'LocalVariables',
  'LocalVariablesAsync',
  'ProcessSession',
  'RequestData',
  'Http',
]);

/** Loads the SDK (about a second of imports: only when a DSN is set) and starts reporting. */
export async function startErrorTracking(options: ErrorTrackingOptions): Promise<ErrorTracking> {
  const sentry = await import('@sentry/node');
  sentry.init({
    dsn: options.dsn,
    release: options.release,
    environment: options.environment,
    // All given, so the SDK's fallbacks to its own SENTRY_* variables find nothing to decide;
    // but for a rate of 0, left out: an exported SENTRY_TRACES_SAMPLE_RATE=0 then makes unsampled
    // spans, which send nothing.
    debug: false,
    ...(options.tracesSampleRate > 0 ? { tracesSampleRate: options.tracesSampleRate } : {}),
    sendDefaultPii: false,
    sendClientReports: false,
    // Trace headers go to no other service; the modules it could instrument are already loaded.
    tracePropagationTargets: [],
    registerEsmLoaderHooks: false,
    defaultIntegrations: false,
    integrations: [
      ...sentry
        .getDefaultIntegrationsWithoutPerformance()
        .filter((integration) => !LEFT_OUT.has(integration.name)),
      sentry.httpIntegration({
        trackIncomingRequestsAsSessions: false,
        maxIncomingRequestBodySize: 'none',
        // A trace's name travels in every envelope's header, past beforeSend: masked at birth.
        incomingRequestSpanHook: (span, request) => {
          span.updateName(`${request.method ?? 'GET'} ${maskUrl(pathOf(request.url ?? '/'))}`);
        },
      }),
    ],
    beforeSend: (event) => scrubEvent(event),
    beforeSendTransaction: (event) => scrubEvent(event),
    beforeBreadcrumb: (breadcrumb) => scrubBreadcrumb(breadcrumb),
  });
  active = sentry;
  return {
    async close(timeoutMs) {
      if (active === sentry) active = null;
      await sentry.close(timeoutMs);
    },
  };
}

/** Whether errors are being reported (a DSN was set and the SDK started). */
export function isTrackingErrors(): boolean {
  return active !== null;
}

/**
 * Reports an unexpected error: a copy rebuilt from what the logs keep of it (its type, a
 * scrubbed message, the stack's frames, the causes), never the thrown object with its
 * properties (a query's parameters, a command's password).
 */
export function reportError(error: unknown, report: ErrorReport = {}): void {
  const sentry = active;
  if (sentry === null) return;
  const safe = serializeError(error);
  sentry.withScope((scope) => {
    if (report.fatal) scope.setLevel('fatal');
    // Sentry indexes tag values as text.
    for (const [name, value] of Object.entries(report.tags ?? {}))
      scope.setTag(name, String(value));
    if (typeof safe !== 'string') {
      const details = errorDetails(safe);
      if (Object.keys(details).length > 0) scope.setContext('error', details);
    }
    const request = report.request;
    if (request) {
      scope.addEventProcessor((event) => ({
        ...event,
        request: { method: request.method, url: maskUrl(request.url) },
      }));
    }
    sentry.captureException(rebuild(safe));
  });
}

/** Reports what the process dies of, and waits at most `timeoutMs` for it to be sent. */
export async function reportFatalError(error: unknown, timeoutMs: number): Promise<void> {
  const sentry = active;
  if (sentry === null) return;
  reportError(error, { fatal: true, tags: { source: 'uncaught exception' } });
  await sentry.flush(timeoutMs);
}

/** The SafeError's fields other than those the exception itself carries. */
function errorDetails(safe: SafeError): Record<string, string | number> {
  const details: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(safe)) {
    if (['type', 'message', 'stack', 'cause', 'errors'].includes(name)) continue;
    if (typeof value === 'string' || typeof value === 'number') details[name] = value;
  }
  return details;
}

/** A plain Error shaped like the SafeError: what the SDK reads (name, message, stack, cause). */
function rebuild(safe: SafeError | string): Error {
  if (typeof safe === 'string') {
    const error = new Error(safe);
    // A thrown non-error has no stack of its own; this one's would point here.
    error.stack = `Error: ${safe}`;
    return error;
  }
  const nested = safe.errors?.map(rebuild);
  const error =
    nested && nested.length > 0
      ? new AggregateError(nested, safe.message)
      : new Error(safe.message);
  error.name = safe.type;
  error.stack = safe.stack ?? `${safe.type}: ${safe.message}`;
  if (safe.cause !== undefined) error.cause = rebuild(safe.cause);
  return error;
}

/** Headers worth keeping; credentials, cookies, the client's own and unknown ones are dropped. */
const SENT_HEADERS = new Set(['host', 'accept', 'content-type', 'content-length']);

/**
 * The last pass over everything the SDK sends, errors and transactions alike: the request
 * reduced to its method, masked URL and a few headers; no user, no body, no cookies; messages
 * and breadcrumbs scrubbed; URLs in span names and attributes masked.
 */
export function scrubEvent<E extends SentryEvent>(event: E): E {
  delete event.user;
  if (event.request) {
    const { method, url, headers, query_string: query } = event.request;
    event.request = {
      ...(method ? { method } : {}),
      ...(url ? { url: maskUrl(url) } : {}),
      ...(typeof query === 'string' && query !== ''
        ? { query_string: maskUrl(`?${query}`).slice(1) }
        : {}),
      ...(headers ? { headers: sentHeaders(headers) } : {}),
    };
  }
  if (typeof event.message === 'string') event.message = scrubText(event.message);
  for (const value of event.exception?.values ?? []) {
    if (value.value) value.value = scrubText(value.value);
    for (const frame of value.stacktrace?.frames ?? []) delete frame.vars;
  }
  if (event.transaction) event.transaction = maskSpanName(event.transaction);
  if (event.extra) event.extra = scrubValues(event.extra) as typeof event.extra;
  if (event.contexts) event.contexts = scrubContexts(event.contexts);
  if (event.breadcrumbs) {
    event.breadcrumbs = event.breadcrumbs.flatMap((breadcrumb: Breadcrumb) => {
      const scrubbed = scrubBreadcrumb(breadcrumb);
      return scrubbed ? [scrubbed] : [];
    });
  }
  if (event.spans) {
    for (const span of event.spans) {
      if (span.description) span.description = maskSpanName(span.description);
      span.data = scrubSpanData(span.data);
    }
  }
  return event;
}

export function scrubBreadcrumb(breadcrumb: Breadcrumb): Breadcrumb | null {
  // The console integration is off; a console breadcrumb from elsewhere may quote anything.
  if (breadcrumb.category === 'console') return null;
  return {
    ...breadcrumb,
    ...(breadcrumb.message ? { message: scrubText(breadcrumb.message) } : {}),
    ...(breadcrumb.data ? { data: scrubSpanData(breadcrumb.data as Record<string, unknown>) } : {}),
  };
}

function sentHeaders(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (SENT_HEADERS.has(lower)) kept[lower] = scrubText(value);
    else if (lower === 'referer') kept[lower] = maskUrl(value);
  }
  return kept;
}

function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

/** `GET /accounts/reset/<token>?q=…` → the method and the URL masked. */
function maskSpanName(name: string): string {
  const match = /^([A-Z]+ )?(\S+)$/.exec(name);
  if (!match?.[2] || !/[/?]/.test(match[2])) return scrubText(name);
  return `${match[1] ?? ''}${maskUrl(match[2])}`;
}

const URL_ATTRIBUTE = /(?:^|[._])(?:url|full|target|path|route|href)$/i;
/** Headers, query strings, bodies, and who the client is (`net.peer.ip`, `http.client_ip`…). */
const DROPPED_ATTRIBUTE =
  /header|cookie|peer|client|user_agent|(?:^|[._])(?:ip|query|fragment|body)$/i;

/** Span attributes and breadcrumb data: URLs masked; headers, queries, client details dropped. */
function scrubSpanData<T extends Record<string, unknown>>(data: T): T {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) {
    if (DROPPED_ATTRIBUTE.test(name)) continue;
    kept[name] =
      typeof value === 'string' && URL_ATTRIBUTE.test(name) ? maskUrl(value) : scrubValues(value);
  }
  return kept as T;
}

/** Trace and span ids are long hex runs the text scrubber would mask; they link events. */
const ID_FIELDS = new Set(['trace_id', 'span_id', 'parent_span_id']);

function scrubContexts<C extends object>(contexts: C): C {
  const scrubbed: Record<string, unknown> = {};
  for (const [name, context] of Object.entries(contexts)) {
    if (typeof context !== 'object' || context === null) {
      scrubbed[name] = context;
      continue;
    }
    const fields: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(context as Record<string, unknown>)) {
      if (ID_FIELDS.has(field)) fields[field] = value;
      else if (field === 'data' && typeof value === 'object' && value !== null)
        fields[field] = scrubSpanData(value as Record<string, unknown>);
      else fields[field] = scrubValues(value);
    }
    scrubbed[name] = fields;
  }
  return scrubbed as C;
}

/** Every string inside `value` scrubbed as log messages are. */
function scrubValues(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null || depth > 6) return value;
  if (Array.isArray(value)) return value.map((item) => scrubValues(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([name, item]) => [
      name,
      scrubValues(item, depth + 1),
    ]),
  );
}
