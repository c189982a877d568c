import { createHmac } from 'node:crypto';
import { isbot } from 'isbot';
import { LRUCache } from 'lru-cache';
import UAParser from 'ua-parser-js';
import {
  clickHeader,
  RAW_REFERRER_MAX_LENGTH,
  RAW_USER_AGENT_MAX_LENGTH,
  type RawClick,
} from './click-sink.ts';
import type { ClickValues } from './clicks.repository.ts';
import { storedIp, unmapIpv4, type ClickIpMode } from './ip-address.ts';

/** The host of an http(s) referrer, lowercased; null for none, other schemes or garbage. */
export function referrerHost(referrer: string | null): string | null {
  if (!referrer) return null;
  try {
    const url = new URL(referrer);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.hostname || null : null;
  } catch {
    return null;
  }
}

/** The UTC date of a click, `YYYY-MM-DD`: the day its visitor hash belongs to. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/**
 * The salt of one UTC day, derived from SECRET_KEY: nothing to store or rotate, and once the day
 * is over nobody without the key can link a visitor's hashes across days.
 */
export function dailySalt(secretKey: string, day: string): Buffer {
  return createHmac('sha256', secretKey).update(`hoplink/visitor-salt/${day}`).digest();
}

/** Identifies one visitor (IP + user agent) within one day, without storing the IP. */
export function visitorHash(salt: Buffer, ip: string, userAgent: string | null): string {
  return createHmac('sha256', salt)
    .update(`${unmapIpv4(ip)}\n${userAgent ?? ''}`)
    .digest('hex');
}

/** What a click's user agent says about its client. */
export interface ClientInfo {
  readonly browser: string | null;
  readonly os: string | null;
  readonly device: string | null;
  readonly isBot: boolean;
}

/**
 * ua-parser-js 1.x names a few things otherwise than the 2.x line that parsed earlier clicks
 * (decision 0017); stats group by name, so these keep 2.x's words.
 */
const OS_NAMES: ReadonlyMap<string, string> = new Map([
  ['Mac OS', 'macOS'],
  ['Chromium OS', 'Chrome OS'],
  ['Windows Phone OS', 'Windows Phone'],
]);
/** 2.x's rules for calling a browser "Mobile …"; 1.x gives the plain name. */
const MOBILE_BROWSERS: ReadonlyMap<string, RegExp> = new Map([
  ['Chrome', /\b(?:crmo|crios)\/|chrome\/[\w.]+ mobile/i],
  ['Firefox', /\bfxios\/|(?:mobile|tablet);.*firefox\//i],
  ['Safari', /version\/[\w.,]+ .*mobile(?:\/\w+ | ?)safari|iphone .*mobile(?:\/\w+ | ?)safari/i],
]);
/** Headsets, which 1.x files under "wearable" (or nothing) and 2.x under "xr". */
const XR_HEADSET =
  /; quest(?: \d| pro)?\b|\bpico (?:4|neo3)|droid.+; glass \d|mobile vr; rv.+firefox/i;

/**
 * The browser, OS and device type of a user agent, as stored in the clicks table. Devices with no
 * type of their own are desktops, unless nothing at all was recognised.
 */
export function clientNames(userAgent: string | null): Omit<ClientInfo, 'isBot'> {
  // Given nothing, the parser would read window.navigator when there is one.
  if (!userAgent) return { browser: null, os: null, device: null };
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const browserName = browser.name
    ? MOBILE_BROWSERS.get(browser.name)?.test(userAgent)
      ? `Mobile ${browser.name}`
      : browser.name
    : null;
  const osName = os.name ? (OS_NAMES.get(os.name) ?? os.name) : null;
  const type =
    (device.type === undefined || device.type === 'wearable') && XR_HEADSET.test(userAgent)
      ? 'xr'
      : device.type;
  return {
    browser: browserName,
    os: osName,
    device: type ?? ((browserName ?? osName) ? 'desktop' : null),
  };
}

/** Reads a user agent (a missing one counts as a bot: browsers always send one). */
export function clientInfo(userAgent: string | null): ClientInfo {
  return { ...clientNames(userAgent), isBot: userAgent === null || isbot(userAgent) };
}

/**
 * clientInfo, remembered per user agent. Real traffic repeats a few hundred user agents
 * endlessly, and parsing one (ua-parser-js, then isbot's patterns) was half of what writing a
 * batch of clicks cost the worker.
 */
export function createClientInfoCache(max = 5_000): (userAgent: string | null) => ClientInfo {
  const known = new LRUCache<string, ClientInfo>({ max });
  return (userAgent) => {
    if (userAgent === null) return clientInfo(null);
    let info = known.get(userAgent);
    if (!info) {
      info = clientInfo(userAgent);
      known.set(userAgent, info);
    }
    return info;
  };
}

export interface ClickParsingContext {
  readonly ipMode: ClickIpMode;
  readonly saltOf: (day: string) => Buffer;
  /** clientInfo, or a cache of it. */
  readonly clientOf?: (userAgent: string | null) => ClientInfo;
}

/**
 * Turns a raw click into a row: browser, OS, device type and bot or not from the user agent,
 * the referrer's host, the IP per CLICK_IP_MODE and the day's visitor hash.
 */
export function parseClick(raw: RawClick, context: ClickParsingContext): ClickValues {
  const userAgent = clickHeader(raw.userAgent ?? undefined, RAW_USER_AGENT_MAX_LENGTH);
  const client = (context.clientOf ?? clientInfo)(userAgent);
  const referrer = clickHeader(raw.referrer ?? undefined, RAW_REFERRER_MAX_LENGTH);
  return {
    eventId: raw.eventId,
    linkId: raw.linkId,
    clickedAt: new Date(raw.clickedAt),
    referrer,
    referrerHost: referrerHost(referrer),
    browser: client.browser,
    os: client.os,
    device: client.device,
    isBot: client.isBot,
    ip: storedIp(raw.ip, context.ipMode),
    visitorHash: visitorHash(context.saltOf(utcDay(raw.clickedAt)), raw.ip, userAgent),
  };
}
