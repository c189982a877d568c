/**
 * The clicks-per-day chart: server-rendered SVG, no script. The plot stretches to its box
 * (preserveAspectRatio="none"), so the axis labels are HTML beside it and stay legible at any
 * width; a visually hidden table carries the same numbers for screen readers and text browsers.
 */
import { html, type SafeHtml } from '#src/lib/html.ts';

export interface DailyCount {
  /** `YYYY-MM-DD` (UTC). */
  readonly date: string;
  readonly clicks: number;
}

export interface DailyChartOptions {
  /** One entry per day, oldest first. */
  readonly daily: readonly DailyCount[];
  /** Names the chart (its <title> and the fallback table's caption). */
  readonly title: string;
  /** Makes the ids unique when a page has several charts. */
  readonly id?: string;
}

// Plot coordinates: one slot of SLOT units per day, PLOT_HEIGHT units tall.
const SLOT = 10;
const BAR = 7;
const PLOT_HEIGHT = 100;
// A zero day still shows a sliver on the baseline, so the days read as a series.
const ZERO_BAR = 0.8;
const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');

/** The smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 1): a round top for the axis. */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((factor) => factor * magnitude >= value) ?? 10;
  return step * magnitude;
}

/** `2030-03-10` → `10 Mar`. */
export function shortDate(date: string): string {
  const [, month = '1', day = '1'] = date.split('-');
  return `${Number(day)} ${MONTHS[Number(month) - 1] ?? month}`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Renders the chart; an empty series renders an empty plot with the same frame. */
export function dailyChart({ daily, title, id = 'daily-chart' }: DailyChartOptions): SafeHtml {
  const total = daily.reduce((sum, day) => sum + day.clicks, 0);
  const peak = daily.reduce<DailyCount | null>(
    (best, day) => (best === null || day.clicks > best.clicks ? day : best),
    null,
  );
  const top = niceMax(peak?.clicks ?? 0);
  const width = Math.max(daily.length, 1) * SLOT;
  const first = daily[0];
  const last = daily.at(-1);
  const middle = daily[Math.floor((daily.length - 1) / 2)];
  const range = first && last ? ` from ${first.date} to ${last.date}` : '';
  const description =
    total === 0
      ? `No clicks${range}.`
      : `${plural(total, 'click', 'clicks')}${range}; the busiest day was ${peak?.date ?? ''} with ${plural(peak?.clicks ?? 0, 'click', 'clicks')}.`;

  const bars = daily.map((day, index) => {
    const height = day.clicks === 0 ? ZERO_BAR : (day.clicks / top) * PLOT_HEIGHT;
    const x = index * SLOT + (SLOT - BAR) / 2;
    const y = PLOT_HEIGHT - height;
    return html`<g class="chart-day"><title>${day.date}: ${plural(day.clicks, 'click', 'clicks')}</title><rect class="chart-bar${day.clicks === 0 ? ' is-zero' : ''}" x="${x}" y="${y.toFixed(2)}" width="${BAR}" height="${height.toFixed(2)}"/></g>`;
  });
  const grid = [0, 0.5, 1].map((share) => {
    const y = PLOT_HEIGHT - share * PLOT_HEIGHT;
    return html`<line class="chart-grid" x1="0" x2="${width}" y1="${y}" y2="${y}"/>`;
  });

  return html`<figure class="chart-figure">
<div class="chart-frame">
<div class="chart-y" aria-hidden="true"><span>${top}</span><span>${top / 2}</span><span>0</span></div>
<svg class="chart" viewBox="0 0 ${width} ${PLOT_HEIGHT}" preserveAspectRatio="none" role="img" aria-labelledby="${id}-title ${id}-desc" focusable="false"><title id="${id}-title">${title}</title><desc id="${id}-desc">${description}</desc>${grid}${bars}</svg>
<div class="chart-x" aria-hidden="true"><span>${first ? shortDate(first.date) : ''}</span><span>${middle && daily.length > 2 ? shortDate(middle.date) : ''}</span><span>${last && daily.length > 1 ? shortDate(last.date) : ''}</span></div>
</div>
<figcaption class="chart-summary">${description}</figcaption>
<table class="visually-hidden"><caption>${title}</caption><thead><tr><th scope="col">Day</th><th scope="col">Clicks</th></tr></thead><tbody>${daily.map(
    (day) => html`<tr><th scope="row">${day.date}</th><td>${day.clicks}</td></tr>`,
  )}</tbody></table>
</figure>`;
}
