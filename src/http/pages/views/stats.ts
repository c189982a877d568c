import { html, type SafeHtml } from '#src/lib/html.ts';
import type { CountedValue, LinkStats } from '#src/modules/analytics/index.ts';
import {
  badge,
  button,
  card,
  linkButton,
  pageHeader,
  postForm,
  shortUrl as shortUrlBlock,
  statCard,
  table,
  timestamp,
} from './components.ts';
import { dailyChart } from './chart.ts';
import { isExpired, linkName, linkState, type LinkView } from './links.ts';

export interface StatsPageOptions {
  readonly csrfToken: string;
  readonly view: LinkView;
  readonly stats: LinkStats;
  readonly now: Date;
}

const numberFormat = new Intl.NumberFormat('en');

function details(view: LinkView, now: Date): SafeHtml {
  const { link } = view;
  const expiry = link.expiresAt
    ? html`${timestamp(link.expiresAt)}${isExpired(link, now) ? ' (expired)' : ''}`
    : 'Never';
  return html`<dl class="link-details">
<div><dt>Short URL</dt><dd>${shortUrlBlock(view.shortUrl)}</dd></div>
${view.slugUrl ? html`<div><dt>Personal URL</dt><dd>${shortUrlBlock(view.slugUrl)}</dd></div>` : ''}
<div><dt>Leads to</dt><dd><a class="target-url" href="${link.targetUrl}" rel="noreferrer">${link.targetUrl}</a></dd></div>
<div><dt>State</dt><dd>${linkState(link, now)}</dd></div>
<div><dt>Redirect</dt><dd>${link.redirectStatus}</dd></div>
<div><dt>Created</dt><dd>${timestamp(link.createdAt)}</dd></div>
<div><dt>Expires</dt><dd>${expiry}</dd></div>
</dl>`;
}

function actions(view: LinkView, csrfToken: string): SafeHtml {
  const { link } = view;
  const toggle = postForm({
    action: `/links/${link.id}/${link.disabled ? 'enable' : 'disable'}`,
    csrfToken,
    className: 'inline-action',
    body: button({ label: link.disabled ? 'Enable' : 'Disable', variant: 'secondary' }),
  });
  return html`${linkButton({ href: `/links/${link.id}/edit`, label: 'Edit' })}${toggle}${linkButton(
    { href: `/links/${link.id}/delete`, label: 'Delete', variant: 'danger' },
  )}`;
}

/** One top list as a table: the value, a bar for its share, and its clicks. */
function topTable(
  caption: string,
  column: string,
  values: readonly CountedValue[],
  none: string,
): SafeHtml {
  const body =
    values.length === 0
      ? html`<p class="muted">No clicks yet.</p>`
      : table({
          caption,
          captionHidden: true,
          columns: [{ label: column }, { label: 'Clicks', numeric: true }],
          rows: values.map((entry) => {
            const max = Math.max(values[0]?.clicks ?? 1, 1);
            return [
              html`<span class="top-value">${entry.value ?? html`<span class="muted">${none}</span>`}</span><progress class="bar" value="${entry.clicks}" max="${max}" aria-hidden="true"></progress>`,
              numberFormat.format(entry.clicks),
            ];
          }),
        });
  return card({ title: caption, body, className: 'top-list' });
}

/** How far back individual clicks go, when CLICK_RETENTION_DAYS deletes older ones. */
function retentionNote(stats: LinkStats): SafeHtml {
  if (stats.recentSince === null) return html``;
  const iso = stats.recentSince.toISOString();
  return html`<p class="muted">Individual clicks are kept from <time datetime="${iso}">${iso.slice(0, 10)}</time> (UTC) on; the counts and chart above include older clicks too.</p>`;
}

function recentTable(stats: LinkStats): SafeHtml {
  if (stats.recent.length === 0) {
    return card({
      title: 'Recent clicks',
      body: html`<p class="muted">Nobody has followed this link in the last ${stats.days} days.</p>${retentionNote(stats)}`,
    });
  }
  return html`<h2 class="section-title">Recent clicks</h2><div class="recent-clicks">${table({
    caption: `The ${stats.recent.length} most recent clicks, bots included`,
    columns: [
      { label: 'Time' },
      { label: 'Referrer' },
      { label: 'Browser' },
      { label: 'OS' },
      { label: 'Device' },
      { label: 'Visitor' },
    ],
    rows: stats.recent.map((click) => [
      timestamp(click.clickedAt),
      click.referrerHost ?? html`<span class="muted">Direct</span>`,
      click.browser ?? html`<span class="muted">Unknown</span>`,
      click.os ?? html`<span class="muted">Unknown</span>`,
      click.device ?? html`<span class="muted">Unknown</span>`,
      click.isBot ? badge('Bot', 'danger') : badge('Person'),
    ]),
  })}</div>${retentionNote(stats)}`;
}

/** GET /links/:id: the link, its actions and its last 30 days of clicks. */
export function statsPage({ csrfToken, view, stats, now }: StatsPageOptions): SafeHtml {
  const { link } = view;
  return html`${pageHeader({
    title: linkName(link),
    lead: link.title === null ? undefined : html`<code>${link.code}</code>`,
    actions: actions(view, csrfToken),
  })}
${card({ title: 'Link', body: details(view, now), className: 'link-card' })}
<h2 class="section-title">Last ${stats.days} days</h2>
<div class="grid grid-stats">
${statCard({ label: 'Clicks', value: numberFormat.format(stats.clicks) })}
${statCard({ label: 'Unique visitors', value: numberFormat.format(stats.uniqueVisitors) })}
${statCard({ label: 'Bot visits (not counted)', value: numberFormat.format(stats.bots) })}
</div>
${card({
  title: 'Clicks per day',
  body: dailyChart({ daily: stats.daily, title: `Clicks per day, last ${stats.days} days (UTC)` }),
})}
<div class="grid grid-top">
${topTable('Top referrers', 'Referrer', stats.referrers, 'Direct or hidden')}
${topTable('Browsers', 'Browser', stats.browsers, 'Unknown')}
${topTable('Operating systems', 'OS', stats.os, 'Unknown')}
${topTable('Devices', 'Device', stats.devices, 'Unknown')}
</div>
${recentTable(stats)}`;
}
