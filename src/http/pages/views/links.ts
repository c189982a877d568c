import { html, type SafeHtml } from '#src/lib/html.ts';
import {
  REDIRECT_STATUSES,
  TARGET_URL_MAX_LENGTH,
  TITLE_MAX_LENGTH,
  type Link,
} from '#src/modules/links/index.ts';
import {
  badge,
  button,
  card,
  checkboxField,
  copyButton,
  emptyState,
  errorSummary,
  errorsByField,
  formField,
  linkButton,
  pageHeader,
  pagination,
  postForm,
  selectField,
  table,
  timestamp,
  type FieldError,
} from './components.ts';

/** A link with the addresses it is reachable at, as the pages show it. */
export interface LinkView {
  readonly link: Link;
  readonly shortUrl: string;
  /** /<username>/<slug>, when the link has a slug. */
  readonly slugUrl: string | null;
}

/** What the visitor typed into the link form, kept as text to show it back. */
export interface LinkFormValues {
  readonly url?: string;
  readonly code?: string;
  readonly slug?: string;
  readonly title?: string;
  readonly redirectStatus?: string;
  /** `YYYY-MM-DDTHH:MM`, UTC (a datetime-local value). */
  readonly expiresAt?: string;
  readonly disabled?: boolean;
}

const STATUS_LABELS: Readonly<Record<number, string>> = {
  301: '301 Moved permanently',
  302: '302 Found (temporary)',
  307: '307 Temporary redirect',
  308: '308 Permanent redirect',
};

/** A date as a datetime-local value in UTC. */
export function dateTimeValue(date: Date | null): string {
  return date === null ? '' : date.toISOString().slice(0, 16);
}

/** The form values that show a stored link as it is. */
export function linkFormValues(link: Link): LinkFormValues {
  return {
    url: link.targetUrl,
    code: link.code,
    slug: link.slug ?? '',
    title: link.title ?? '',
    redirectStatus: String(link.redirectStatus),
    expiresAt: dateTimeValue(link.expiresAt),
    disabled: link.disabled,
  };
}

export function isExpired(link: Link, now: Date): boolean {
  return link.expiresAt !== null && link.expiresAt.getTime() <= now.getTime();
}

/** Active, Disabled and/or Expired: what a visitor following the short URL would get. */
export function linkState(link: Link, now: Date): SafeHtml {
  const states = [
    link.disabled ? badge('Disabled', 'danger') : null,
    isExpired(link, now) ? badge('Expired', 'danger') : null,
  ].filter((state) => state !== null);
  return states.length > 0 ? html`${states}` : badge('Active', 'success');
}

/** The name a link goes by on the pages: its title, or its code. */
export function linkName(link: Link): string {
  return link.title ?? link.code;
}

function linkFields(options: {
  readonly values: LinkFormValues;
  readonly errors: Record<string, string>;
  readonly username: string;
  readonly siteUrl: string;
  readonly editing: boolean;
}): SafeHtml {
  const { values, errors } = options;
  return html`${formField({
    label: 'Long URL',
    name: 'url',
    type: 'url',
    value: values.url,
    error: errors.url,
    hint: 'The address the short link leads to, starting with https:// or http://.',
    placeholder: 'https://example.com/a/long/address',
    inputmode: 'url',
    autocomplete: 'off',
    spellcheck: false,
    maxlength: TARGET_URL_MAX_LENGTH,
    required: true,
    autofocus: !options.editing,
  })}${formField({
    label: options.editing ? 'Code' : 'Custom alias',
    name: 'code',
    value: values.code,
    error: errors.code,
    hint: options.editing
      ? html`The short URL is ${options.siteUrl}/<em>code</em>. Changing it breaks the old short URL. 3 to 64 letters, digits, - or _ (case-sensitive).`
      : html`Your short URL becomes ${options.siteUrl}/<em>alias</em>: 3 to 64 letters, digits, - or _ (case-sensitive). Leave it empty for a random 7-character code.`,
    optional: !options.editing,
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: false,
    maxlength: 64,
  })}${formField({
    label: 'Personal slug',
    name: 'slug',
    value: values.slug,
    error: errors.slug,
    hint: html`Also reachable at ${options.siteUrl}/${options.username}/<em>slug</em>: 1 to 64 lowercase letters, digits, - or _.`,
    optional: true,
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: false,
    maxlength: 64,
  })}${formField({
    label: 'Title',
    name: 'title',
    value: values.title,
    error: errors.title,
    hint: 'A name for you to find the link by; visitors never see it.',
    optional: true,
    autocomplete: 'off',
    maxlength: TITLE_MAX_LENGTH,
  })}${selectField({
    label: 'Redirect status',
    name: 'redirectStatus',
    value: values.redirectStatus,
    error: errors.redirectStatus,
    hint: 'Temporary redirects (302, 307) count every click. Browsers may remember permanent ones (301, 308), so repeat visits are not always counted.',
    options: REDIRECT_STATUSES.map((status) => ({
      value: String(status),
      label: STATUS_LABELS[status] ?? String(status),
    })),
  })}${formField({
    label: 'Expires at (UTC)',
    name: 'expiresAt',
    type: 'datetime-local',
    value: values.expiresAt,
    error: errors.expiresAt,
    hint: 'After this moment the short URL answers “not found”. Leave it empty to keep the link forever.',
    optional: true,
  })}${
    options.editing
      ? checkboxField({
          label: 'Disabled',
          name: 'disabled',
          checked: values.disabled ?? false,
          error: errors.disabled,
          hint: 'A disabled link answers “not found” until you enable it again; its statistics stay.',
        })
      : ''
  }`;
}

export interface LinkFormPageOptions {
  readonly csrfToken: string;
  readonly username: string;
  readonly siteUrl: string;
  readonly values?: LinkFormValues;
  readonly errors?: readonly FieldError[];
}

/** GET /links/new, and POST /links refused (also the home page's shorten form). */
export function newLinkPage(options: LinkFormPageOptions): SafeHtml {
  const errors = options.errors ?? [];
  return html`<div class="narrow-form">
${pageHeader({ title: 'New link', lead: 'Shorten an address; everything but the URL is optional.' })}
${card({
  body: html`${errorSummary(errors)}${postForm({
    action: '/links',
    csrfToken: options.csrfToken,
    noValidate: true,
    body: html`${linkFields({
      values: options.values ?? {},
      errors: errorsByField(errors),
      username: options.username,
      siteUrl: options.siteUrl,
      editing: false,
    })}<div class="form-actions">${button({ label: 'Create short link' })}<a href="/links">Cancel</a></div>`,
  })}`,
})}
</div>`;
}

/** GET /links/:id/edit, and its POST refused. */
export function editLinkPage(options: LinkFormPageOptions & { readonly view: LinkView }): SafeHtml {
  const { link } = options.view;
  const errors = options.errors ?? [];
  return html`<div class="narrow-form">
${pageHeader({
  title: `Edit ${linkName(link)}`,
  lead: html`<a href="/links/${link.id}">Back to the statistics</a>`,
})}
${card({
  body: html`${errorSummary(errors)}${postForm({
    action: `/links/${link.id}/edit`,
    csrfToken: options.csrfToken,
    noValidate: true,
    body: html`${linkFields({
      values: options.values ?? linkFormValues(link),
      errors: errorsByField(errors),
      username: options.username,
      siteUrl: options.siteUrl,
      editing: true,
    })}<div class="form-actions">${button({ label: 'Save changes' })}<a href="/links/${link.id}">Cancel</a></div>`,
  })}`,
})}
${card({
  title: 'Delete this link',
  className: 'danger-zone',
  body: html`<p>Deleting removes the link and all its click statistics. The short URL stops working at once.</p>${linkButton(
    { href: `/links/${link.id}/delete`, label: 'Delete link…', variant: 'danger' },
  )}`,
})}
</div>`;
}

/** GET /links/:id/delete: the confirmation step before POST /links/:id/delete. */
export function deleteLinkPage(options: {
  readonly csrfToken: string;
  readonly view: LinkView;
  readonly totalClicks: number;
}): SafeHtml {
  const { link, shortUrl } = options.view;
  return html`<div class="narrow-form">
${pageHeader({ title: `Delete ${linkName(link)}?` })}
${card({
  body: html`<p>The short URL <strong class="mono">${shortUrl}</strong> will stop working at once, and its statistics (${options.totalClicks} ${options.totalClicks === 1 ? 'click' : 'clicks'}) will be deleted with it. This cannot be undone.</p>${postForm(
    {
      action: `/links/${link.id}/delete`,
      csrfToken: options.csrfToken,
      className: 'form-actions',
      body: html`${button({ label: 'Delete link', variant: 'danger' })}<a href="/links/${link.id}">Keep it</a>`,
    },
  )}`,
})}
</div>`;
}

export interface LinksListPageOptions {
  readonly rows: readonly (LinkView & { readonly clicks: number })[];
  readonly q: string;
  readonly newerHref: string | null;
  readonly olderHref: string | null;
  /** Whether this is the first page (an empty first page without a search is the welcome). */
  readonly firstPage: boolean;
  readonly now: Date;
}

function searchForm(q: string): SafeHtml {
  return html`<form method="get" action="/links" class="inline-form search-form" role="search">
${formField({ label: 'Search your links', name: 'q', type: 'search', value: q, placeholder: 'Title, code or URL', autocomplete: 'off', spellcheck: false, maxlength: 200 })}
${button({ label: 'Search', variant: 'secondary' })}${q === '' ? '' : html`<a href="/links">Clear</a>`}
</form>`;
}

/** GET /links: the owner's links, newest first, with search and Newer/Older pages. */
export function linksListPage(options: LinksListPageOptions): SafeHtml {
  const { rows, q } = options;
  const header = pageHeader({
    title: 'Your links',
    actions: linkButton({ href: '/links/new', label: 'New link', variant: 'primary' }),
  });
  if (rows.length === 0 && q === '' && options.firstPage) {
    return html`${header}${emptyState({
      title: 'No links yet',
      body: 'Shorten your first address; its clicks will show up here.',
      action: { href: '/links/new', label: 'Create a short link' },
    })}`;
  }
  const results =
    rows.length === 0
      ? emptyState({
          title: 'No links found',
          body: q === '' ? 'There are no more links.' : `Nothing matches “${q}”.`,
        })
      : html`<div class="links-table">${table({
          caption: q === '' ? 'Your links, newest first' : `Links matching “${q}”`,
          captionHidden: q === '',
          columns: [
            { label: 'Link' },
            { label: 'Short URL' },
            { label: 'Created' },
            { label: 'Clicks', numeric: true },
            { label: 'State' },
          ],
          rows: rows.map(({ link, shortUrl, clicks }) => [
            html`<a class="link-name" href="/links/${link.id}">${linkName(link)}</a><span class="truncate muted small" title="${link.targetUrl}">${link.targetUrl}</span>`,
            html`<div class="short-url short-url-compact"><a href="${shortUrl}">${shortUrl.replace(/^https?:\/\//, '')}</a>${copyButton(shortUrl, { context: `short URL of ${linkName(link)}` })}</div>`,
            timestamp(link.createdAt),
            html`<a href="/links/${link.id}" aria-label="${clicks} clicks: statistics of ${linkName(link)}">${clicks}<span class="cell-unit"> ${clicks === 1 ? 'click' : 'clicks'}</span></a>`,
            linkState(link, options.now),
          ]),
        })}</div>`;
  return html`${header}${searchForm(q)}${results}${pagination({
    newerHref: options.newerHref,
    olderHref: options.olderHref,
  })}`;
}
