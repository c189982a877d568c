import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  clientInfo,
  createClientInfoCache,
  dailySalt,
  parseClick,
  referrerHost,
  utcDay,
  visitorHash,
} from './click-parsing.ts';
import type { RawClick } from './click-sink.ts';
import { anonymizeIp, storedIp } from './ip-address.ts';

const CHROME_ANDROID =
  'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';
const SAFARI_IPAD =
  'Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

const raw = (overrides: Partial<RawClick> = {}): RawClick => ({
  eventId: '4b0c4bd4-8e8f-4c4e-a1b5-1f4b8c1b2a3d',
  linkId: '0b6a1c52-3d0e-4f3c-9a53-8a7c1b6f2e10',
  clickedAt: Date.parse('2030-03-04T23:59:59Z'),
  referrer: 'https://WWW.Example.org/post?id=1',
  userAgent: CHROME_ANDROID,
  ip: '203.0.113.77',
  ...overrides,
});

const context = {
  ipMode: 'anonymize' as const,
  saltOf: (day: string) => dailySalt('k'.repeat(50), day),
};

describe('IP addresses', () => {
  test('anonymize keeps IPv4 /24 and IPv6 /48', () => {
    assert.equal(anonymizeIp('203.0.113.77'), '203.0.113.0');
    assert.equal(anonymizeIp('::ffff:203.0.113.77'), '203.0.113.0');
    assert.equal(anonymizeIp('2001:db8:abcd:12:1:2:3:4'), '2001:db8:abcd::');
    assert.equal(anonymizeIp('2001:DB8::1'), '2001:db8:0::');
    assert.equal(anonymizeIp('::1'), '0:0:0::');
    assert.equal(anonymizeIp('fe80::1%eth0'), 'fe80:0:0::');
    assert.equal(anonymizeIp('64:ff9b:1::198.51.100.7'), '64:ff9b:1::');
    assert.equal(anonymizeIp('not an ip'), null);
  });

  test('CLICK_IP_MODE decides what is kept', () => {
    assert.equal(storedIp('203.0.113.77', 'full'), '203.0.113.77');
    assert.equal(storedIp('::ffff:203.0.113.77', 'full'), '203.0.113.77');
    assert.equal(storedIp('203.0.113.77', 'anonymize'), '203.0.113.0');
    assert.equal(storedIp('203.0.113.77', 'none'), null);
  });
});

describe('click parsing', () => {
  test('reads browser, OS, device type and referrer host', () => {
    const row = parseClick(raw(), context);
    assert.equal(row.browser, 'Mobile Chrome');
    assert.equal(row.os, 'Android');
    assert.equal(row.device, 'mobile');
    assert.equal(row.referrerHost, 'www.example.org');
    assert.equal(row.referrer, 'https://WWW.Example.org/post?id=1');
    assert.equal(row.isBot, false);
    assert.equal(row.ip, '203.0.113.0');
    assert.deepEqual(row.clickedAt, new Date('2030-03-04T23:59:59Z'));
    assert.equal(parseClick(raw({ userAgent: SAFARI_IPAD }), context).device, 'tablet');
  });

  test('bots are flagged: a crawler, and a request without a user agent', () => {
    assert.equal(parseClick(raw({ userAgent: GOOGLEBOT }), context).isBot, true);
    assert.equal(parseClick(raw({ userAgent: 'curl/8.4.0' }), context).isBot, true);
    assert.equal(parseClick(raw({ userAgent: null }), context).isBot, true);
    assert.equal(parseClick(raw({ userAgent: null }), context).device, null);
  });

  test('referrer hosts only from http(s) URLs', () => {
    assert.equal(referrerHost(null), null);
    assert.equal(referrerHost('android-app://com.example'), null);
    assert.equal(referrerHost('garbage'), null);
    assert.equal(referrerHost('http://t.co/x'), 't.co');
    assert.equal(parseClick(raw({ referrer: '' }), context).referrer, null);
    assert.equal(
      parseClick(raw({ referrer: `https://e.com/${'x'.repeat(5000)}` }), context).referrer?.length,
      2048,
    );
  });

  test('the visitor hash is stable within a UTC day and different across days', () => {
    const salt = (day: string) => dailySalt('k'.repeat(50), day);
    const monday = visitorHash(salt('2030-03-04'), '203.0.113.77', CHROME_ANDROID);
    assert.match(monday, /^[0-9a-f]{64}$/);
    assert.equal(visitorHash(salt('2030-03-04'), '203.0.113.77', CHROME_ANDROID), monday);
    assert.equal(visitorHash(salt('2030-03-04'), '::ffff:203.0.113.77', CHROME_ANDROID), monday);
    assert.notEqual(visitorHash(salt('2030-03-05'), '203.0.113.77', CHROME_ANDROID), monday);
    assert.notEqual(visitorHash(salt('2030-03-04'), '203.0.113.78', CHROME_ANDROID), monday);
    assert.notEqual(visitorHash(salt('2030-03-04'), '203.0.113.77', SAFARI_IPAD), monday);
    assert.notEqual(
      visitorHash(dailySalt('j'.repeat(50), '2030-03-04'), '203.0.113.77', CHROME_ANDROID),
      monday,
    );
    assert.equal(utcDay(Date.parse('2030-03-04T23:59:59.999Z')), '2030-03-04');
    // The hash is of the full IP even when only /24 is stored, or none.
    const a = parseClick(raw({ ip: '203.0.113.1' }), { ...context, ipMode: 'none' });
    const b = parseClick(raw({ ip: '203.0.113.2' }), { ...context, ipMode: 'none' });
    assert.equal(a.ip, null);
    assert.notEqual(a.visitorHash, b.visitorHash);
  });
});

describe('the user agent cache', () => {
  test('answers exactly what parsing answers, parsing each user agent once', () => {
    const cached = createClientInfoCache(2);
    for (const userAgent of [CHROME_ANDROID, SAFARI_IPAD, GOOGLEBOT, null, 'curl/8.4.0']) {
      assert.deepEqual(cached(userAgent), clientInfo(userAgent));
    }
    assert.equal(cached('curl/8.4.0'), cached('curl/8.4.0'), 'the second answer is remembered');
    assert.equal(cached(null).isBot, true);
  });

  test('a batch parsed through the cache stores the same rows', () => {
    const clientOf = createClientInfoCache();
    for (const userAgent of [CHROME_ANDROID, GOOGLEBOT, null]) {
      const click = raw({ userAgent });
      assert.deepEqual(parseClick(click, { ...context, clientOf }), parseClick(click, context));
    }
  });
});
