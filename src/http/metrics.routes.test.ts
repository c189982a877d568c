import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLink, createUser } from '#test/factories.ts';
import { metricValue } from '#test/helpers/metrics-text.ts';
import { buildTestApp, type TestApp } from '#test/helpers/test-app.ts';

const HOST = { host: 'localhost' };
const TOKEN = randomBytes(32).toString('hex');

describe('/metrics on the public port', () => {
  test('unset METRICS_TOKEN and METRICS_LISTEN: no /metrics at all, a 404 like any unknown path', async () => {
    const t = await buildTestApp();
    try {
      const response = await t.app.inject({
        url: '/metrics',
        headers: { ...HOST, authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(response.statusCode, 404);
      assert.doesNotMatch(response.body, /hoplink_/);
    } finally {
      await t.close();
    }
  });

  test('METRICS_LISTEN set: the public port has none, the token notwithstanding', async () => {
    const t = await buildTestApp({ METRICS_TOKEN: TOKEN, METRICS_LISTEN: '127.0.0.1:0' });
    try {
      const response = await t.app.inject({
        url: '/metrics',
        headers: { ...HOST, authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(response.statusCode, 404);
    } finally {
      await t.close();
    }
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  let t: TestApp;
  const scrape = async () => {
    const response = await t.app.inject({
      url: '/metrics',
      headers: { ...HOST, authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.body;
  };

  before(async () => {
    t = await buildTestApp({ METRICS_TOKEN: TOKEN });
  });
  after(() => t.close());

  test('no token, a wrong one or another scheme: 401 with a Bearer challenge, never the metrics', async () => {
    for (const authorization of [
      undefined,
      `Bearer ${TOKEN.slice(0, -1)}x`,
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      `Bearer`,
    ]) {
      const response = await t.app.inject({
        url: '/metrics',
        headers: authorization === undefined ? HOST : { ...HOST, authorization },
      });
      assert.equal(response.statusCode, 401, String(authorization));
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="metrics"');
      assert.doesNotMatch(response.body, /hoplink_/);
    }
  });

  test('the token gets the text format, uncached, with process metrics under their standard names', async () => {
    const response = await t.app.inject({
      url: '/metrics',
      headers: { ...HOST, authorization: `bearer ${TOKEN}` },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'no-store');
    for (const name of [
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_gc_duration_seconds',
      'hoplink_redirects_total',
      'hoplink_clicks_captured_total',
    ]) {
      assert.match(response.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
  });

  test('redirects: counted by outcome and timed in their own histogram, not per route', async () => {
    const link = await createLink(t.container.database.db);
    const before = await scrape();
    const outcome = (text: string, value: string) =>
      metricValue(text, 'hoplink_redirects_total', { outcome: value });
    assert.equal((await t.app.inject({ url: `/${link.code}`, headers: HOST })).statusCode, 302);
    assert.equal((await t.app.inject({ url: `/${link.code}`, headers: HOST })).statusCode, 302);
    const unknown = `/nope-${randomBytes(4).toString('hex')}`;
    assert.equal((await t.app.inject({ url: unknown, headers: HOST })).statusCode, 404);
    assert.equal((await t.app.inject({ url: unknown, headers: HOST })).statusCode, 404);
    const after = await scrape();

    assert.equal(outcome(after, 'miss') - outcome(before, 'miss'), 1);
    assert.equal(outcome(after, 'hit') - outcome(before, 'hit'), 1);
    assert.equal(outcome(after, 'not_found') - outcome(before, 'not_found'), 2);
    const timed = (text: string) => metricValue(text, 'hoplink_redirect_duration_seconds_count');
    assert.equal(timed(after) - timed(before), 4);
    assert.ok(
      metricValue(after, 'hoplink_redirect_cache_entries', { kind: 'link' }) >= 1,
      'the link is cached',
    );
    assert.ok(metricValue(after, 'hoplink_redirect_cache_entries', { kind: 'unknown' }) >= 1);
    assert.doesNotMatch(after, /hoplink_http_requests_total\{[^}]*route="\/:code"/);
  });

  test('other routes by method, route and status; what no route matched as (unmatched)', async () => {
    const before = await scrape();
    assert.equal((await t.app.inject({ url: '/healthz', headers: HOST })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/a/b/c', headers: HOST })).statusCode, 404);
    const after = await scrape();
    const requests = (text: string, labels: Record<string, string>) =>
      metricValue(text, 'hoplink_http_requests_total', labels);
    const health = { method: 'GET', route: '/healthz', status: '200' };
    assert.equal(requests(after, health) - requests(before, health), 1);
    const unmatched = { method: 'GET', route: '(unmatched)', status: '404' };
    assert.equal(requests(after, unmatched) - requests(before, unmatched), 1);
    const timed = (text: string) =>
      metricValue(text, 'hoplink_http_request_duration_seconds_count', health);
    assert.equal(timed(after) - timed(before), 1);
    // The scrapes count as requests too: the route is a route like any other.
    assert.ok(requests(after, { route: '/metrics', status: '200' }) >= 1);
  });

  test('a click flushed: captured, queued, written by its job, its lag observed', async () => {
    const link = await createLink(t.container.database.db);
    // Earlier tests' clicks go first, so the deltas below are this one's.
    await t.container.clickSink.flush();
    const before = await scrape();
    assert.equal((await t.app.inject({ url: `/${link.code}`, headers: HOST })).statusCode, 302);
    const captured = await scrape();
    assert.equal(
      metricValue(captured, 'hoplink_clicks_captured_total') -
        metricValue(before, 'hoplink_clicks_captured_total'),
      1,
    );
    assert.equal(metricValue(captured, 'hoplink_clicks_buffered'), t.container.clickSink.pending);

    await t.container.clickSink.flush();
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    assert.equal(delta('hoplink_clicks_queued_total'), 1);
    assert.equal(delta('hoplink_clicks_written_total'), 1);
    assert.equal(delta('hoplink_click_lag_seconds_count'), 1);
    assert.equal(delta('hoplink_clicks_spooled_total'), 0);
    assert.equal(
      delta('hoplink_jobs_total', { queue: 'clicks', job: 'record-clicks', result: 'completed' }),
      1,
    );
    assert.equal(metricValue(after, 'hoplink_clicks_buffered'), 0);
  });

  test('an email handed to the transport is counted as sent', async () => {
    const user = await createUser(t.container.database.db);
    const before = await scrape();
    await t.container.passwordReset.requestReset({ email: user.email, ip: '192.0.2.1' });
    const after = await scrape();
    const sent = (text: string) => metricValue(text, 'hoplink_emails_total', { result: 'sent' });
    assert.equal(sent(after) - sent(before), 1);
  });
});
