/**
 * `npm run bench:user-agents`: how the user agent parser Hoplink uses now (ua-parser-js 1.x plus
 * the renames in click-parsing.ts) agrees with ua-parser-js 2.x, which parsed clicks before
 * decision 0017, and how fast each is.
 *
 * Reads test/fixtures/user-agents.txt: real user agents with the browser, OS and device type
 * 2.0.10 answered for each, recorded when it was still installed. Prints, per field, how often
 * the current parser gives the same answer (overall and per section of the corpus) and every
 * disagreement. If 2.x is installed beside it under another name
 * (`npm install --no-save ua-parser-js-2@npm:ua-parser-js@2.0.10`), also parses with it live:
 * checks the recorded answers are still its answers and times both on the corpus in alternating
 * rounds, as parses per second and their ratio. Measures; asserts nothing.
 *
 * Flags: --old <module> (where 2.x is, default ua-parser-js-2), --rounds N (timed rounds each,
 * default 7), --ms N (length of a round, default 300).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { clientNames } from '#src/modules/analytics/click-parsing.ts';

type Field = 'browser' | 'os' | 'device';
type Names = Readonly<Record<Field, string | null>>;
type Tally = Record<Field, number>;
interface Row {
  readonly userAgent: string;
  readonly section: string;
  readonly recorded: Names;
}
interface OldParser {
  UAParser: new (userAgent: string) => {
    getResult(): {
      browser: { name?: string };
      os: { name?: string };
      device: { type?: string };
    };
  };
}

const FIELDS: readonly Field[] = ['browser', 'os', 'device'];
const FIXTURE = new URL('../test/fixtures/user-agents.txt', import.meta.url);

const { values: flags } = parseArgs({
  options: {
    old: { type: 'string', default: 'ua-parser-js-2' },
    rounds: { type: 'string', default: '7' },
    ms: { type: 'string', default: '300' },
  },
});

function readCorpus(): Row[] {
  const rows: Row[] = [];
  let section = '';
  for (const line of readFileSync(FIXTURE, 'utf8').split('\n')) {
    if (line.startsWith('# ')) section = line.slice(2).split(':')[0] ?? '';
    if (line === '' || line.startsWith('#')) continue;
    const [browser, os, device, userAgent] = line.split('\t');
    if (browser === undefined || os === undefined || device === undefined || !userAgent) {
      throw new Error(`not browser<TAB>os<TAB>device<TAB>user agent: ${line}`);
    }
    const name = (value: string) => (value === '-' ? null : value);
    rows.push({
      userAgent,
      section,
      recorded: { browser: name(browser), os: name(os), device: name(device) },
    });
  }
  return rows;
}

const current = (userAgent: string): Names => clientNames(userAgent);

/** What click-parsing.ts stored with 2.x: the same fallback to 'desktop'. */
function withOld({ UAParser }: OldParser): (userAgent: string) => Names {
  return (userAgent) => {
    const { browser, os, device } = new UAParser(userAgent).getResult();
    const browserName = browser.name ?? null;
    const osName = os.name ?? null;
    return {
      browser: browserName,
      os: osName,
      device: device.type ?? ((browserName ?? osName) ? 'desktop' : null),
    };
  };
}

async function loadOld(specifier: string): Promise<OldParser | null> {
  try {
    return (await import(specifier)) as OldParser;
  } catch {
    return null;
  }
}

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

function compare(rows: readonly Row[], lines: string[]): void {
  const zero = (): Tally => ({ browser: 0, os: 0, device: 0 });
  const sections = new Map<string, { total: number; same: Tally }>();
  const overall = zero();
  const differences: Record<Field, Map<string, string[]>> = {
    browser: new Map(),
    os: new Map(),
    device: new Map(),
  };
  for (const row of rows) {
    const now = current(row.userAgent);
    const section = sections.get(row.section) ?? { total: 0, same: zero() };
    sections.set(row.section, section);
    section.total++;
    for (const field of FIELDS) {
      if (now[field] === row.recorded[field]) {
        overall[field]++;
        section.same[field]++;
      } else {
        const key = `${row.recorded[field] ?? '(none)'} -> ${now[field] ?? '(none)'}`;
        differences[field].set(key, [...(differences[field].get(key) ?? []), row.userAgent]);
      }
    }
  }
  const cells = (same: Tally, total: number) =>
    FIELDS.map((field) => `${field} ${percent(same[field], total)}`).join(', ');
  lines.push(
    `Agreement with ua-parser-js 2.0.10 on ${rows.length} real user agents`,
    `  overall: ${cells(overall, rows.length)}`,
  );
  for (const [name, { total, same }] of sections) {
    lines.push(`  ${name} (${total}): ${cells(same, total)}`);
  }
  for (const field of FIELDS) {
    const found = [...differences[field]].sort((a, b) => b[1].length - a[1].length);
    lines.push('', `${field}: ${found.length === 0 ? 'no disagreements' : 'was -> now'}`);
    for (const [key, userAgents] of found) {
      lines.push(`  ${userAgents.length} × ${key}`);
      for (const userAgent of userAgents) lines.push(`      ${userAgent}`);
    }
  }
}

/** Parses per second in one round of about --ms milliseconds. */
function round(parse: (userAgent: string) => Names, rows: readonly Row[]): number {
  let parsed = 0;
  const start = performance.now();
  while (performance.now() - start < Number(flags.ms)) {
    for (const row of rows) parse(row.userAgent);
    parsed += rows.length;
  }
  return (parsed * 1000) / (performance.now() - start);
}

const median = (values: number[]) =>
  values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** Parses per second of each, median of rounds taken in turn so that both see the same machine. */
function time(parsers: readonly ((userAgent: string) => Names)[], rows: readonly Row[]): number[] {
  const samples = parsers.map((parse) => {
    for (const row of rows) parse(row.userAgent);
    return [] as number[];
  });
  for (let i = 0; i < Number(flags.rounds); i++) {
    parsers.forEach((parse, p) => samples[p]?.push(round(parse, rows)));
  }
  return samples.map(median);
}

const rate = (perSecond: number | undefined) =>
  Math.round(perSecond ?? Number.NaN).toLocaleString('en');

const rows = readCorpus();
const lines: string[] = [];
compare(rows, lines);
lines.push('');
const old = await loadOld(flags.old);
if (old) {
  const parseOld = withOld(old);
  const stale = rows.filter(
    (row) => JSON.stringify(parseOld(row.userAgent)) !== JSON.stringify(row.recorded),
  );
  lines.push(
    stale.length === 0
      ? `${flags.old} (live) still gives every recorded answer.`
      : `${flags.old} (live) differs from the recorded answers on ${stale.length} user agents.`,
  );
  const [newRate = Number.NaN, oldRate = Number.NaN] = time([current, parseOld], rows);
  lines.push(
    `Speed, parses per second on this corpus (median of ${flags.rounds} alternating rounds):`,
    `  ua-parser-js 2.x (${flags.old}): ${rate(oldRate)}`,
    `  current parser (clientNames): ${rate(newRate)}`,
    `  ratio current / 2.x: ${(newRate / oldRate).toFixed(2)}×`,
  );
} else {
  const [newRate] = time([current], rows);
  lines.push(
    `Speed: current parser (clientNames) ${rate(newRate)} parses/s.`,
    `For 2.x's speed and a live check, first: npm install --no-save ua-parser-js-2@npm:ua-parser-js@2.0.10`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
