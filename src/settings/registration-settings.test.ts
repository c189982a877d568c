import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ids, load, production, type Env } from '#test/helpers/settings.ts';
import { deployChecks } from './index.ts';

describe('registration settings', () => {
  test('by default sign-up is open, unverified, invitations last 7 days and links 24 hours', (t) => {
    const { settings, findings } = load(t, production());
    assert.deepEqual(ids(findings), []);
    assert.equal(settings.registrationMode, 'open');
    assert.equal(settings.emailVerification, false);
    assert.equal(settings.invitationTtl, 7 * 86_400_000);
    assert.equal(settings.emailVerificationTtl, 86_400_000);
  });

  test('the three modes, booleans and durations are taken; anything else names the setting', (t) => {
    const chosen = load(t, {
      ...production(),
      REGISTRATION_MODE: ' invite ',
      EMAIL_VERIFICATION: 'Yes',
      INVITATION_TTL: '48h',
      EMAIL_VERIFICATION_TTL: '30m',
    });
    assert.deepEqual(ids(chosen.findings), []);
    assert.equal(chosen.settings.registrationMode, 'invite');
    assert.equal(chosen.settings.emailVerification, true);
    assert.equal(chosen.settings.invitationTtl, 48 * 3_600_000);
    assert.equal(chosen.settings.emailVerificationTtl, 30 * 60_000);
    for (const [name, value, problem] of [
      ['REGISTRATION_MODE', 'invite-only', /one of: open, invite, closed/],
      ['EMAIL_VERIFICATION', 'maybe', /true|false/],
      ['INVITATION_TTL', 'a week', /duration/],
      ['EMAIL_VERIFICATION_TTL', '0', /duration/],
    ] as const) {
      const { findings } = load(t, { ...production(), [name]: value });
      const errors = findings.filter((finding) => finding.level === 'error');
      const [error] = errors;
      assert.ok(error && errors.length === 1, `${name}=${value}`);
      assert.equal(error.setting, name);
      assert.match(error.message, problem);
    }
  });

  test('check --deploy warns (W025) about an open sign-up without email verification only', (t) => {
    const open = deployChecks(load(t, production()));
    const finding = open.find((item) => item.id === 'hoplink.W025');
    assert.ok(finding, ids(open).join(', '));
    assert.equal(finding.level, 'warning');
    assert.equal(finding.setting, 'REGISTRATION_MODE');
    assert.match(finding.message, /EMAIL_VERIFICATION is off/);
    assert.match(finding.hint, /EMAIL_VERIFICATION=true/);
    for (const env of [
      { EMAIL_VERIFICATION: 'true' } as Env,
      { REGISTRATION_MODE: 'invite' },
      { REGISTRATION_MODE: 'closed' },
    ]) {
      const findings = deployChecks(load(t, { ...production(), ...env }));
      assert.ok(!ids(findings).includes('hoplink.W025'), JSON.stringify(env));
    }
  });

  test('a plain start says nothing about it: only the deploy audit does', (t) => {
    const { findings } = load(t, { ...production(), NODE_ENV: 'development' });
    assert.ok(!ids(findings).includes('hoplink.W025'));
  });
});
