import type { Database, Transaction } from './client.ts';

/**
 * Runs work in one database transaction; repositories take the `tx` it hands over. Services
 * receive one from their module's factory: they decide what belongs together, repositories
 * write it.
 */
export type Transactor = <T>(work: (tx: Transaction) => Promise<T>) => Promise<T>;

export function createTransactor(db: Database): Transactor {
  return (work) => db.transaction(work);
}
