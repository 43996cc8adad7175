import { Client, Pool } from 'pg';

/**
 * The sim's own store (a stand-in, not our domain, so plain `pg` and no migrations): members by
 * sourceRef, the change feed in commit order, and the deliveries received from our API.
 */
const SCHEMA = `
create table if not exists sim_member (
  source_ref text primary key,
  organization_id text,
  -- our API's id for the member, learnt from its answer to the create
  member_id text unique,
  status text not null default 'active',
  version integer not null,
  document jsonb not null,
  updated_at timestamptz not null default now()
);
create table if not exists sim_change (
  seq bigserial primary key,
  event_id text not null unique,
  kind text not null,
  source_ref text not null,
  occurred_at timestamptz not null,
  changes jsonb not null
);
create index if not exists sim_change_source_ref on sim_change (source_ref);
create table if not exists sim_delivery (
  webhook_id text primary key,
  source_ref text not null,
  event_id text,
  groups text[] not null,
  received_at timestamptz not null default now()
);
`;

/** Serializes the writers of the feed, so sequence order is commit order (readers never skip a row). */
export const FEED_WRITE_LOCK = 0x51a_feed;

const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Creates the database named in `url` when absent (on the same server), then the tables; returns a pool. */
export async function openSimDatabase(url: string, poolSize = 5): Promise<Pool> {
  await ensureDatabase(url);
  const pool = new Pool({ connectionString: url, max: poolSize });
  pool.on('error', () => undefined); // an idle client's network error; the next query reports it
  try {
    await pool.query(SCHEMA);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return pool;
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!DATABASE_NAME.test(name))
    throw new Error('SIM_DATABASE_URL must name a database (letters, digits, _)');
  const server = new URL(url);
  server.pathname = '/postgres';
  const client = new Client({ connectionString: server.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`create database "${name}"`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}
