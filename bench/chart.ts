/** The bench chart: req/s and p99 bars for both servers, as SVG, then PNG through Chromium. */
import { launchBrowser } from '#test/helpers/browser.ts';

interface Bar {
  readonly name: string;
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
}

export interface ChartInput {
  readonly hoplink: Bar;
  readonly baseline: Bar;
  readonly ratio: number;
  readonly caption: string;
}

const WIDTH = 640;
const HEIGHT = 320;
const COLORS = { hoplink: '#2563eb', baseline: '#9ca3af' } as const;

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One panel of two bars scaled to the larger value, labelled with their values. */
function panel(x: number, title: string, bars: [Bar, number, string][]): string {
  const top = 60;
  const height = 190;
  const max = Math.max(...bars.map(([, value]) => value), 1e-9);
  const parts = [`<text x="${x + 130}" y="${top - 20}" class="title">${escape(title)}</text>`];
  bars.forEach(([bar, value, label], i) => {
    const h = (value / max) * height;
    const bx = x + 40 + i * 120;
    const fill = bar.name === 'hoplink' ? COLORS.hoplink : COLORS.baseline;
    parts.push(
      `<rect x="${bx}" y="${top + height - h}" width="80" height="${h}" fill="${fill}"/>`,
      `<text x="${bx + 40}" y="${top + height - h - 6}" class="value">${escape(label)}</text>`,
      `<text x="${bx + 40}" y="${top + height + 18}" class="label">${escape(bar.name)}</text>`,
    );
  });
  return parts.join('\n');
}

export function renderChart({ hoplink, baseline, ratio, caption }: ChartInput): string {
  const rps = (bar: Bar): [Bar, number, string] => [
    bar,
    bar.requestsPerSecond,
    `${Math.round(bar.requestsPerSecond)}`,
  ];
  const p99 = (bar: Bar): [Bar, number, string] => [bar, bar.p99Ms, `${bar.p99Ms} ms`];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
<style>
text { font-family: sans-serif; fill: #111827; text-anchor: middle; }
.title { font-size: 15px; font-weight: bold; }
.value { font-size: 13px; }
.label { font-size: 13px; }
.caption { font-size: 11px; fill: #4b5563; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
${panel(0, 'requests/s (higher is better)', [rps(hoplink), rps(baseline)])}
${panel(WIDTH / 2, 'p99 latency (lower is better)', [p99(hoplink), p99(baseline)])}
<text x="${WIDTH / 2}" y="${HEIGHT - 26}" class="caption">Hoplink/baseline req/s ratio ${ratio.toFixed(3)}</text>
<text x="${WIDTH / 2}" y="${HEIGHT - 10}" class="caption">${escape(caption)}</text>
</svg>
`;
}

/** Screenshots the SVG in Debian's Chromium (the same one the browser tests drive). */
export async function writePng(svg: string, path: string): Promise<void> {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT } });
    await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
    await page.locator('svg').screenshot({ path });
  } finally {
    await browser.close();
  }
}
