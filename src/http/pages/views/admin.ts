import { html, type SafeHtml } from '#src/lib/html.ts';
import type { QueueName } from '#src/jobs/job-registry.ts';
import type { FailedJob, QueueOverview } from '#src/jobs/queue.ts';
import { button, card, emptyState, pageHeader, postForm, table, timestamp } from './components.ts';

const QUEUE_PURPOSES: Readonly<Record<QueueName, string>> = {
  email: 'Emails to users: password resets, welcomes, invitations and address confirmations.',
  clicks: 'Batches of clicks on their way from the redirect to the database.',
  default: 'Everything else, such as housekeeping.',
};

/** Long SMTP or database errors would stretch the table; the log has the rest. */
const REASON_SHOWN = 300;

const numberFormat = new Intl.NumberFormat('en');

export interface QueuesPageOptions {
  readonly csrfToken: string;
  /** ADMIN_PATH, for the forms' actions. */
  readonly adminPath: string;
  readonly queues: readonly QueueOverview[];
}

/** Where a failed job's Retry or Remove form posts. */
export function failedJobAction(
  adminPath: string,
  queue: QueueName,
  jobId: string,
  action: 'retry' | 'remove',
): string {
  return `${adminPath}/queues/${queue}/jobs/${encodeURIComponent(jobId)}/${action}`;
}

function reason(text: string): string {
  return text.length > REASON_SHOWN ? `${text.slice(0, REASON_SHOWN - 1)}…` : text;
}

function countsTable(overview: QueueOverview): SafeHtml {
  const { counts } = overview;
  return table({
    caption: `Jobs in the ${overview.queue} queue, by state`,
    captionHidden: true,
    columns: ['Waiting', 'Active', 'Delayed', 'Completed', 'Failed'].map((label) => ({
      label,
      numeric: true,
    })),
    rows: [
      [counts.waiting, counts.active, counts.delayed, counts.completed, counts.failed].map(
        (count) => numberFormat.format(count),
      ),
    ],
  });
}

function failedTable(
  overview: QueueOverview,
  options: Pick<QueuesPageOptions, 'csrfToken' | 'adminPath'>,
): SafeHtml {
  if (overview.failed.length === 0) {
    return emptyState({
      title: 'No failed jobs',
      body: 'Every job so far ran or is still trying.',
    });
  }
  const action = (job: FailedJob, kind: 'retry' | 'remove') =>
    postForm({
      action: failedJobAction(options.adminPath, overview.queue, job.id, kind),
      csrfToken: options.csrfToken,
      className: 'inline-form',
      body: button({
        label: html`${kind === 'retry' ? 'Retry' : 'Remove'}<span class="visually-hidden"> job ${job.id}</span>`,
        variant: kind === 'retry' ? 'secondary' : 'danger',
        small: true,
      }),
    });
  const shown =
    overview.counts.failed > overview.failed.length
      ? html`<p class="hint">The latest ${overview.failed.length} of ${numberFormat.format(overview.counts.failed)} failed jobs.</p>`
      : '';
  return html`${shown}${table({
    caption: `Failed jobs in the ${overview.queue} queue, newest first`,
    columns: [
      { label: 'Job id' },
      { label: 'Job' },
      { label: 'Attempts', numeric: true },
      { label: 'Last error' },
      { label: 'Failed' },
      { label: 'Actions', hiddenLabel: true },
    ],
    rows: overview.failed.map((job) => [
      html`<code>${job.id}</code>`,
      job.name,
      job.attemptsMade,
      reason(job.failedReason),
      timestamp(job.failedAt),
      html`<div class="cluster">${action(job, 'retry')}${action(job, 'remove')}</div>`,
    ]),
  })}`;
}

/**
 * ADMIN_PATH/queues: per queue, its jobs by state and its latest failed jobs (id, job, attempts,
 * error message: never the payload), each with Retry and Remove.
 */
export function queuesPage(options: QueuesPageOptions): SafeHtml {
  return html`${pageHeader({
    title: 'Queues',
    lead: 'Background jobs by queue. A job that used up its attempts waits under “Failed” until someone retries or removes it.',
  })}${options.queues.map((overview) =>
    card({
      title: `${overview.queue} queue`,
      className: 'queue',
      body: html`<p>${QUEUE_PURPOSES[overview.queue]}</p>${countsTable(overview)}${failedTable(
        overview,
        options,
      )}`,
    }),
  )}`;
}

/** The staff pages, as small buttons above each one's header; the current page is marked. */
export function staffNav(adminPath: string, current: 'queues' | 'invitations'): SafeHtml {
  const pages = [
    { key: 'queues', label: 'Queues' },
    { key: 'invitations', label: 'Invitations' },
  ] as const;
  return html`<nav class="cluster" aria-label="Staff pages">${pages.map((page) =>
    page.key === current
      ? html`<a class="button button-primary button-small" href="${adminPath}/${page.key}" aria-current="page">${page.label}</a>`
      : html`<a class="button button-secondary button-small" href="${adminPath}/${page.key}">${page.label}</a>`,
  )}</nav>`;
}
