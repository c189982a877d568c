import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dailyChart, niceMax, shortDate } from './chart.ts';

test('niceMax rounds the axis top up to 1, 2 or 5 × 10ⁿ', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 7, 10, 11, 16, 49, 51, 180, 999].map(niceMax),
    [1, 1, 2, 5, 10, 10, 20, 20, 50, 100, 200, 1000],
  );
});

test('shortDate reads a UTC day as "10 Mar"', () => {
  assert.equal(shortDate('2030-03-10'), '10 Mar');
  assert.equal(shortDate('2030-12-01'), '1 Dec');
});

test('one bar per day, scaled to the axis top; labels, title and table escaped', () => {
  const daily = [
    { date: '2030-03-08', clicks: 0 },
    { date: '2030-03-09', clicks: 4 },
    { date: '2030-03-10', clicks: 8 },
  ];
  const chart = dailyChart({ daily, title: 'Clicks <per> day', id: 'c' }).value;
  assert.equal((chart.match(/<rect class="chart-bar/g) ?? []).length, 3);
  assert.match(chart, /viewBox="0 0 30 100" preserveAspectRatio="none"/);
  // Top is 10: 8 clicks fill 80 units, 4 fill 40, and a zero day keeps a sliver.
  assert.match(
    chart,
    /<title>2030-03-10: 8 clicks<\/title><rect class="chart-bar" x="21.5" y="20.00" width="7" height="80.00"\/>/,
  );
  assert.match(
    chart,
    /<title>2030-03-09: 4 clicks<\/title><rect class="chart-bar" x="11.5" y="60.00"/,
  );
  assert.match(chart, /<title>2030-03-08: 0 clicks<\/title><rect class="chart-bar is-zero"/);
  assert.match(chart, /<title id="c-title">Clicks &lt;per&gt; day<\/title>/);
  assert.match(
    chart,
    /<desc id="c-desc">12 clicks from 2030-03-08 to 2030-03-10; the busiest day was 2030-03-10 with 8 clicks\.<\/desc>/,
  );
  assert.match(chart, /<span>10<\/span><span>5<\/span><span>0<\/span>/);
  assert.match(chart, /<span>8 Mar<\/span><span>9 Mar<\/span><span>10 Mar<\/span>/);
  assert.match(chart, /<caption>Clicks &lt;per&gt; day<\/caption>/);
  assert.match(chart, /<tr><th scope="row">2030-03-09<\/th><td>4<\/td><\/tr>/);
  assert.doesNotMatch(chart, /<script|style=/);
});

test('an empty series renders an empty plot that says so', () => {
  const chart = dailyChart({ daily: [], title: 'Nothing' }).value;
  assert.doesNotMatch(chart, /<rect/);
  assert.match(chart, /No clicks\./);
});
