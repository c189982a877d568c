-- Keeps click_daily, click_daily_values and click_daily_visitors in step with clicks, then fills
-- them from the clicks already stored. A trigger rather than application code: every insert is
-- counted, including those of a previous release still running while this one is deployed, and
-- always in the same statement as the clicks themselves.
--
-- The transition table holds only the rows actually inserted, so a redelivered batch (ON CONFLICT
-- DO NOTHING on event_id) adds nothing. Rows are written in key order so that concurrent batches
-- lock rollup rows in the same order. Visitor hashes are salted per UTC day, so a visitor is new
-- on a day exactly when its (link, day, hash) row is.
CREATE OR REPLACE FUNCTION "roll_up_clicks"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH "fresh_visitors" AS (
    INSERT INTO "click_daily_visitors" ("link_id", "day", "visitor_hash")
    SELECT DISTINCT "link_id", ("clicked_at" AT TIME ZONE 'UTC')::date, "visitor_hash"
    FROM "inserted_clicks"
    WHERE NOT "is_bot" AND "visitor_hash" IS NOT NULL
    ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING
    RETURNING "link_id", "day"
  ),
  "new_visitors" AS (
    SELECT "link_id", "day", count(*) AS "visitors" FROM "fresh_visitors" GROUP BY 1, 2
  ),
  "per_day" AS (
    SELECT
      "link_id",
      ("clicked_at" AT TIME ZONE 'UTC')::date AS "day",
      count(*) FILTER (WHERE NOT "is_bot") AS "clicks",
      count(*) FILTER (WHERE "is_bot") AS "bots"
    FROM "inserted_clicks"
    GROUP BY 1, 2
  )
  INSERT INTO "click_daily" ("link_id", "day", "clicks", "bots", "visitors")
  SELECT "per_day"."link_id", "per_day"."day", "clicks", "bots", coalesce("visitors", 0)
  FROM "per_day" LEFT JOIN "new_visitors" USING ("link_id", "day")
  ORDER BY 1, 2
  ON CONFLICT ("link_id", "day") DO UPDATE SET
    "clicks" = "click_daily"."clicks" + excluded."clicks",
    "bots" = "click_daily"."bots" + excluded."bots",
    "visitors" = "click_daily"."visitors" + excluded."visitors";

  INSERT INTO "click_daily_values" ("link_id", "dimension", "day", "value", "clicks")
  SELECT "link_id", "dimension", ("clicked_at" AT TIME ZONE 'UTC')::date, "value", count(*)
  FROM "inserted_clicks"
  CROSS JOIN LATERAL (
    VALUES
      ('referrer_host', "referrer_host"),
      ('browser', "browser"),
      ('os', "os"),
      ('device', "device")
  ) AS "attribute" ("dimension", "value")
  WHERE NOT "is_bot"
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT ("link_id", "dimension", "day", "value") DO UPDATE SET
    "clicks" = "click_daily_values"."clicks" + excluded."clicks";

  RETURN NULL;
END
$$;
--> statement-breakpoint
-- CREATE TRIGGER locks clicks against inserts until this migration commits, so the fill below
-- sees every click stored before the trigger and the trigger every click after: none is missed
-- or counted twice, even with a previous release writing clicks meanwhile.
CREATE OR REPLACE TRIGGER "clicks_roll_up"
  AFTER INSERT ON "clicks"
  REFERENCING NEW TABLE AS "inserted_clicks"
  FOR EACH STATEMENT EXECUTE FUNCTION "roll_up_clicks"();
--> statement-breakpoint
INSERT INTO "click_daily_visitors" ("link_id", "day", "visitor_hash")
SELECT DISTINCT "link_id", ("clicked_at" AT TIME ZONE 'UTC')::date, "visitor_hash"
FROM "clicks"
WHERE NOT "is_bot" AND "visitor_hash" IS NOT NULL;
--> statement-breakpoint
INSERT INTO "click_daily" ("link_id", "day", "clicks", "bots", "visitors")
SELECT
  "link_id",
  ("clicked_at" AT TIME ZONE 'UTC')::date,
  count(*) FILTER (WHERE NOT "is_bot"),
  count(*) FILTER (WHERE "is_bot"),
  count(DISTINCT "visitor_hash") FILTER (WHERE NOT "is_bot")
FROM "clicks"
GROUP BY 1, 2;
--> statement-breakpoint
INSERT INTO "click_daily_values" ("link_id", "dimension", "day", "value", "clicks")
SELECT "link_id", "dimension", ("clicked_at" AT TIME ZONE 'UTC')::date, "value", count(*)
FROM "clicks"
CROSS JOIN LATERAL (
  VALUES
    ('referrer_host', "referrer_host"),
    ('browser', "browser"),
    ('os', "os"),
    ('device', "device")
) AS "attribute" ("dimension", "value")
WHERE NOT "is_bot"
GROUP BY 1, 2, 3, 4;
