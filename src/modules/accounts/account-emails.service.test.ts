import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createAccountMail } from '#src/email/account-mail.ts';
import { MemoryOutbox } from '#src/email/memory-outbox.ts';
import { createUser } from '#test/factories.ts';
import { createTestDatabase, type TestDatabase } from '#test/helpers/database.ts';
import { createAccountEmailsService } from './account-emails.service.ts';
import { createInvitationsRepository } from './invitations.repository.ts';
import { createResetTokensRepository } from './reset-tokens.repository.ts';
import { createUsersRepository } from './users.repository.ts';
import { createVerificationTokensRepository } from './verification-tokens.repository.ts';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase('pglite');
});
after(() => database.drop());

function setup() {
  const outbox = new MemoryOutbox({ from: 'Hop <n@example.com>', subjectPrefix: '[Hop] ' });
  const db = database.handle.db;
  const emails = createAccountEmailsService({
    users: createUsersRepository(db),
    resetTokens: createResetTokensRepository(db),
    invitations: createInvitationsRepository(db),
    verificationTokens: createVerificationTokensRepository(db),
    emailVerificationTtlMs: 86_400_000,
    mail: createAccountMail(outbox),
    siteUrl: 'https://hop.example.com',
  });
  return { outbox, emails };
}

test('an unknown or deactivated account completes the job with nothing sent', async () => {
  const { outbox, emails } = setup();
  const inactive = await createUser(database.handle.db, { isActive: false });
  assert.equal(await emails.sendPasswordReset(randomUUID()), 'skipped');
  assert.equal(await emails.sendWelcome(randomUUID()), 'skipped');
  assert.equal(await emails.sendPasswordReset(inactive.id), 'skipped');
  assert.deepEqual(outbox.messages, []);
});

test('the welcome email links to SITE_URL and escapes the username in HTML', async () => {
  const { outbox, emails } = setup();
  const user = await createUser(database.handle.db);
  assert.equal(await emails.sendWelcome(user.id), 'sent');
  const [message] = outbox.to(user.email);
  assert.ok(message);
  assert.equal(message.subject, '[Hop] Welcome to Hoplink');
  assert.match(message.text, /^https:\/\/hop\.example\.com\/$/m);
  assert.ok(message.html.includes('href="https://hop.example.com/"'));
  assert.ok(message.html.includes(`Hello ${user.username},`));
});

test('a retried reset job sends a fresh working link each time', async () => {
  const { outbox, emails } = setup();
  const user = await createUser(database.handle.db);
  await emails.sendPasswordReset(user.id);
  await emails.sendPasswordReset(user.id);
  const links = outbox
    .to(user.email)
    .map((message) => /\/accounts\/reset\/([A-Za-z0-9_-]{43})$/m.exec(message.text)?.[1]);
  assert.equal(links.length, 2);
  assert.ok(links[0] && links[1] && links[0] !== links[1]);
});
