// PostgreSQL access: one pool per service, transactions, and the hub's ordered migrations.
import pg from 'pg'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { FacteurError } from './errors.js'

export type Db = pg.Pool
export type Tx = pg.PoolClient

export function createDb(databaseUrl: string, options: { max?: number; application?: string } = {}): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 5, application_name: options.application ?? 'facteur' })
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  return pool
}

/** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
export async function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await db.connect()
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url))
// Any fixed number: serialises concurrent migrators (six services starting at once).
const MIGRATION_LOCK = 0x46616374

/** Applies the migrations in `services/kit/migrations/` not yet applied, in file-name order, once each. */
export async function migrate(db: Db): Promise<string[]> {
  const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql')).sort()
  const client = await db.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())')
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name))
    const applied: string[] = []
    for (const file of files.filter((f) => !done.has(f))) {
      const sql = await readFile(migrationsDir + file, 'utf8')
      try {
        await client.query('BEGIN')
        await client.query(sql)
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file])
        await client.query('COMMIT')
      } catch (cause) {
        await client.query('ROLLBACK').catch(() => {})
        throw new FacteurError('INFRA_UNAVAILABLE', `migration ${file} failed: ${(cause as Error).message}`, { cause })
      }
      applied.push(file)
    }
    return applied
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
    client.release()
  }
}

/** Creates the database named in `databaseUrl` if it does not exist (connecting to `postgres` to do it). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl)
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''))
  if (!name) return
  const admin = new URL(databaseUrl)
  admin.pathname = '/postgres'
  const client = new pg.Client({ connectionString: admin.toString() })
  await client.connect()
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`)
  } catch (error) {
    // Two starters racing: the loser sees duplicate_database (42P04), which is fine.
    if ((error as { code?: string }).code !== '42P04') throw error
  } finally {
    await client.end()
  }
}
