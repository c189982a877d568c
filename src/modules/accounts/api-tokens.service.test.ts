import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { apiTokens, users } from '#src/db/schema.ts';
import { AppError, NotFoundError, ValidationError } from '#src/lib/errors.ts';
import { createUser } from '#test/factories.ts';
import {
  createTestDatabase,
  describeEachDatabase,
  type TestDatabase,
} from '#test/helpers/database.ts';
import { createApiTokensRepository } from './api-tokens.repository.ts';
import { createApiTokensService } from './api-tokens.service.ts';
import { hashToken } from './secret-tokens.ts';

await describeEachDatabase('API tokens service', (backend) => {
  let database: TestDatabase;
  let clock: Date;
  let service: ReturnType<typeof createApiTokensService>;

  before(async () => {
    database = await createTestDatabase(backend);
    service = createApiTokensService({
      apiTokens: createApiTokensRepository(database.handle.db),
      now: () => clock,
    });
  });
  after(() => database.drop());

  const rowOf = async (id: string) =>
    (await database.handle.db.select().from(apiTokens).where(eq(apiTokens.id, id)))[0];

  test('a new token is returned once; the table holds its hash and prefix, never the token', async () => {
    clock = new Date();
    const user = await createUser(database.handle.db);
    const { token, apiToken } = await service.create(user.id, {
      name: '  deploy script ',
      scopes: ['links:write', 'links:read', 'links:read'],
    });
    assert.match(token, /^hop_[a-z0-9]{8}_[A-Za-z0-9]{32}$/);
    assert.equal(apiToken.prefix, token.slice(0, 12));
    assert.equal(apiToken.name, 'deploy script');
    assert.deepEqual(apiToken.scopes, ['links:read', 'links:write']);
    const row = await rowOf(apiToken.id);
    assert.ok(row);
    assert.equal(row.tokenHash, hashToken(token));
    assert.equal(row.prefix, token.slice(4, 12));
    assert.ok(!JSON.stringify(row).includes(token.slice(13)), 'the secret part is not stored');
    assert.deepEqual(
      (await service.list(user.id)).map((listed) => listed.id),
      [apiToken.id],
    );
  });

  test('name and scopes are checked', async () => {
    const user = await createUser(database.handle.db);
    await assert.rejects(service.create(user.id, { name: ' ', scopes: [] }), (error) => {
      assert.ok(error instanceof ValidationError);
      assert.deepEqual(
        (error.details as { field: string }[]).map((detail) => detail.field),
        ['name', 'scopes'],
      );
      return true;
    });
    await assert.rejects(
      service.create(user.id, { name: 'x', scopes: ['links:admin'] }),
      ValidationError,
    );
  });

  test('authenticate returns the user and scopes and records use at most once a minute', async () => {
    const start = new Date();
    clock = start;
    const user = await createUser(database.handle.db);
    const { token, apiToken } = await service.create(user.id, {
      name: 'ci',
      scopes: ['links:read'],
    });
    const identity = await service.authenticate(token);
    assert.ok(identity);
    assert.equal(identity.user.id, user.id);
    assert.deepEqual(identity.scopes, ['links:read']);
    assert.equal(identity.tokenId, apiToken.id);
    assert.equal((await rowOf(apiToken.id))?.lastUsedAt?.getTime(), start.getTime());

    clock = new Date(start.getTime() + 30_000);
    await service.authenticate(token);
    assert.equal((await rowOf(apiToken.id))?.lastUsedAt?.getTime(), start.getTime());
    clock = new Date(start.getTime() + 61_000);
    await service.authenticate(token);
    assert.equal((await rowOf(apiToken.id))?.lastUsedAt?.getTime(), clock.getTime());
  });

  test('malformed, unknown, revoked tokens and deactivated users authenticate as nobody', async () => {
    clock = new Date();
    const user = await createUser(database.handle.db);
    const { token, apiToken } = await service.create(user.id, {
      name: 'x',
      scopes: ['links:read'],
    });
    assert.equal(await service.authenticate('Bearer nonsense'), null);
    // Another last character, whatever the random one was (a token ending in Z stayed valid).
    const altered = `${token.slice(0, -1)}${token.endsWith('Z') ? 'Y' : 'Z'}`;
    assert.equal(await service.authenticate(altered), null);
    await service.revoke(user.id, apiToken.id);
    assert.equal(await service.authenticate(token), null);
    assert.ok((await rowOf(apiToken.id))?.revokedAt instanceof Date);

    const other = await service.create(user.id, { name: 'y', scopes: ['links:read'] });
    await database.handle.db.update(users).set({ isActive: false }).where(eq(users.id, user.id));
    assert.equal(await service.authenticate(other.token), null);
  });

  test("a user cannot revoke another user's token", async () => {
    const owner = await createUser(database.handle.db);
    const stranger = await createUser(database.handle.db);
    const { token, apiToken } = await service.create(owner.id, {
      name: 'x',
      scopes: ['links:read'],
    });
    await assert.rejects(service.revoke(stranger.id, apiToken.id), NotFoundError);
    assert.notEqual(await service.authenticate(token), null);
  });

  test('revokeByPrefix takes the prefix with or without hop_', async () => {
    const user = await createUser(database.handle.db);
    const first = await service.create(user.id, { name: 'a', scopes: ['links:read'] });
    const second = await service.create(user.id, { name: 'b', scopes: ['links:read'] });
    const revoked = await service.revokeByPrefix(first.apiToken.prefix);
    assert.equal(revoked.email, user.email);
    assert.equal(await service.authenticate(first.token), null);
    await service.revokeByPrefix(second.apiToken.prefix.slice(4));
    assert.equal(await service.authenticate(second.token), null);
    await assert.rejects(service.revokeByPrefix('hop_zzzzzzzz'), NotFoundError);
    await assert.rejects(service.revokeByPrefix('x'), AppError);
  });
});
