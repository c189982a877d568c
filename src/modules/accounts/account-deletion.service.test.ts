import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '#src/lib/errors.ts';
import { createAccountDeletionService } from './account-deletion.service.ts';
import { hashPassword } from './passwords.ts';
import type { UserRow } from './users.repository.ts';

const PASSWORD = 'violet kettle under seven lamps';

/** The service on fakes that write down what happened, in order. */
async function deletion(options: { verdict?: 'go' | 'paused' } = {}) {
  const steps: string[] = [];
  const row: UserRow = {
    id: '5b0b1f0e-3c36-4f70-9d37-0f5c1d1b2a10',
    email: 'leaving@example.com',
    username: 'leaving',
    passwordHash: await hashPassword(PASSWORD),
    isActive: true,
    isStaff: false,
    lastLoginAt: null,
    createdAt: new Date(),
    updatedAt: new Date(),
  } as UserRow;
  let stored: UserRow | null = row;
  const service = createAccountDeletionService({
    users: {
      findById: () => Promise.resolve(stored),
      delete: () => {
        steps.push('delete');
        const gone = stored;
        stored = null;
        return Promise.resolve(gone);
      },
    },
    throttle: {
      count: () => {
        steps.push('count');
        return Promise.resolve(options.verdict ?? 'go');
      },
      succeeded: () => Promise.resolve(),
    },
    links: {
      addressesOf: () => {
        steps.push(stored ? 'addresses (user still there)' : 'addresses (too late)');
        return Promise.resolve({
          codes: ['abc1234'],
          slugs: [{ username: 'leaving', slug: 'cv' }],
        });
      },
      forget: (addresses) => {
        steps.push(`forget ${addresses.codes.join()} ${stored ? 'before' : 'after'} the delete`);
      },
    },
    emailJobs: {
      accountDeleted: (recipient) => {
        steps.push(`email ${recipient.email} ${recipient.username}`);
        return Promise.resolve();
      },
    },
  });
  return { service, steps, userId: row.id };
}

describe('account deletion', () => {
  test('reads the addresses, deletes, then has them forgotten, then queues the email', async () => {
    const { service, steps, userId } = await deletion();
    const deleted = await service.deleteOwn(userId, { password: PASSWORD, ip: '192.0.2.1' });
    assert.deepEqual(deleted, { email: 'leaving@example.com', username: 'leaving', links: 1 });
    assert.deepEqual(steps, [
      'count',
      'addresses (user still there)',
      'delete',
      'forget abc1234 after the delete',
      'email leaving@example.com leaving',
    ]);
  });

  test('a wrong password, or a paused account, deletes nothing', async () => {
    for (const [verdict, password] of [
      ['go', 'not the password'],
      ['paused', PASSWORD],
    ] as const) {
      const { service, steps, userId } = await deletion({ verdict });
      await assert.rejects(
        service.deleteOwn(userId, { password, ip: '192.0.2.1' }),
        (error: unknown) =>
          error instanceof AppError &&
          error.code === 'validation_failed' &&
          JSON.stringify(error.details).includes('"field":"password"'),
      );
      assert.deepEqual(steps, ['count']);
    }
  });

  test('staff delete the same way, without a password or a count', async () => {
    const { service, steps, userId } = await deletion();
    await service.deleteAsStaff(userId);
    assert.deepEqual(steps, [
      'addresses (user still there)',
      'delete',
      'forget abc1234 after the delete',
      'email leaving@example.com leaving',
    ]);
    await assert.rejects(service.deleteAsStaff(userId), { code: 'not_found' });
  });
});
