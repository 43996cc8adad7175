import { createHash } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';

export interface PreparedStatement {
  name: string;
  text: string;
}

interface PgConnection {
  query<R>(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: R[] }>;
}

interface PoolClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
}

/**
 * A named statement for a hot path. The name is derived from the text, so a statement whose text
 * varies (the field list of a projection) gets one name per variant and never clashes with another.
 */
export function preparedStatement(purpose: string, text: string): PreparedStatement {
  return { name: `${purpose}_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`, text };
}

/**
 * Runs a named prepared statement on the pg connection behind MikroORM: the transaction's own
 * connection when `em` is in one, a pooled one otherwise. Postgres parses and plans it once per
 * connection, and the values travel as bound parameters (ciphertexts as binary), where
 * `em.execute` would format them into the SQL text. See docs/sql.md.
 */
export async function runPrepared<R>(
  em: EntityManager,
  statement: PreparedStatement,
  values: readonly unknown[],
): Promise<R[]> {
  const trx = em.getTransactionContext<Knex.Transaction>();
  const client = (trx ?? em.getConnection().getKnex()).client as unknown as PoolClient;
  const connection = await client.acquireConnection();
  try {
    return (await connection.query<R>({ name: statement.name, text: statement.text, values })).rows;
  } finally {
    await client.releaseConnection(connection);
  }
}
