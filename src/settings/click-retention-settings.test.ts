import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ids, load, production } from '#test/helpers/settings.ts';
import { deployChecks } from './index.ts';

describe('click retention settings', () => {
  test('by default clicks are kept forever and visitor hashes two days', (t) => {
    const { settings, findings } = load(t, production());
    assert.deepEqual(ids(findings), []);
    assert.equal(settings.clickRetentionDays, 0);
    assert.equal(settings.clickVisitorRetentionDays, 2);
  });

  test('whole numbers in range are taken; anything else is an error naming the setting', (t) => {
    const good = load(t, {
      ...production(),
      CLICK_RETENTION_DAYS: '90',
      CLICK_VISITOR_RETENTION_DAYS: '3',
    });
    assert.equal(good.settings.clickRetentionDays, 90);
    assert.equal(good.settings.clickVisitorRetentionDays, 3);
    for (const [name, value] of [
      ['CLICK_RETENTION_DAYS', '-1'],
      ['CLICK_RETENTION_DAYS', '30d'],
      ['CLICK_RETENTION_DAYS', '36501'],
      ['CLICK_VISITOR_RETENTION_DAYS', '0'],
      ['CLICK_VISITOR_RETENTION_DAYS', '1.5'],
    ] as const) {
      const { findings } = load(t, { ...production(), [name]: value });
      const errors = findings.filter((finding) => finding.level === 'error');
      assert.equal(errors.length, 1, `${name}=${value}`);
      const [error] = errors;
      assert.ok(error);
      assert.equal(error.setting, name);
      assert.match(error.message, /whole number/);
    }
  });

  test('check --deploy notes unlimited retention (I004) until a number of days is set', (t) => {
    const unlimited = deployChecks(load(t, production()));
    const note = unlimited.find((finding) => finding.id === 'hoplink.I004');
    assert.ok(note, 'I004 is raised');
    assert.equal(note.level, 'info');
    assert.equal(note.setting, 'CLICK_RETENTION_DAYS');
    const kept = deployChecks(load(t, { ...production(), CLICK_RETENTION_DAYS: '90' }));
    assert.ok(!ids(kept).includes('hoplink.I004'));
  });

  test('check --deploy warns (W024) when visitor hashes are kept one day only', (t) => {
    assert.ok(!ids(deployChecks(load(t, production()))).includes('hoplink.W024'));
    const oneDay = deployChecks(
      load(t, { ...production(), CLICK_VISITOR_RETENTION_DAYS: '1' }),
    ).find((finding) => finding.id === 'hoplink.W024');
    assert.ok(oneDay, 'W024 is raised');
    assert.equal(oneDay.level, 'warning');
    assert.equal(oneDay.setting, 'CLICK_VISITOR_RETENTION_DAYS');
  });
});
