// Partner and admin API keys. Keys are 192 random bits, so a plain SHA-256 is enough to store them
// (a slow password hash protects guessable secrets; these are not guessable). Only the hash is kept.
// A principal holds several keys (table api_keys): rotation issues a new key and lets the old one work until
// its expires_at (a grace period, FACTEUR_KEY_ROTATION_GRACE_SECONDS); revocation stops a key at once.
import { createHash, randomBytes } from 'node:crypto'
import type { Db, Tx } from '../kit/db.js'

export type Principal = { id: string; name: string; role: 'partner' | 'admin'; keyId: string }

export const generateApiKey = () => `fct_${randomBytes(24).toString('base64url')}`
export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex')

/** Reads `Authorization: Bearer <key>` (RFC 6750 §2.1); null when absent or not a bearer credential. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header ?? '')
  return match?.[1] ?? null
}

export type Authentication =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'unknown' }
  | { ok: false; reason: 'revoked' | 'expired'; at: Date }

type KeyRow = { id: string; name: string; role: Principal['role']; key_id: string; revoked_at: Date | null; expires_at: Date | null; now: Date }

/**
 * The principal of `key`, if the key is neither revoked nor past its expiry. last_used_at is refreshed at
 * most once a minute (a write per request would turn every read into a write).
 */
export async function authenticate(db: Db, key: string): Promise<Authentication> {
  const { rows } = await db.query<KeyRow>(
    `WITH k AS (
       SELECT p.id, p.name, p.role, k.id AS key_id, k.revoked_at, k.expires_at, now() AS now
         FROM api_keys k JOIN partners p ON p.id = k.partner_id WHERE k.key_hash = $1),
     touch AS (
       UPDATE api_keys SET last_used_at = now()
        WHERE id = (SELECT key_id FROM k WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now))
          AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds'))
     SELECT * FROM k`, [hashApiKey(key)])
  const row = rows[0]
  if (!row) return { ok: false, reason: 'unknown' }
  if (row.revoked_at) return { ok: false, reason: 'revoked', at: row.revoked_at }
  if (row.expires_at && row.expires_at <= row.now) return { ok: false, reason: 'expired', at: row.expires_at }
  return { ok: true, principal: { id: row.id, name: row.name, role: row.role, keyId: row.key_id } }
}

/** The 401 detail for a key that did not authenticate: what happened to it and what to do. */
export function refusalDetail(a: Exclude<Authentication, { ok: true }>): string {
  if (a.reason === 'revoked') return `this API key was revoked at ${a.at.toISOString()}; ask the operator for a new key`
  if (a.reason === 'expired') return `this API key was replaced and stopped working at ${a.at.toISOString()}; use the key that replaced it`
  return 'this API key is not known'
}

export type KeyOrigin = 'seed' | 'issued' | 'rotation'

/** A new key for `partnerId`: the key itself is returned this once; only its hash is stored. */
export async function issueKey(tx: Tx | Db, partnerId: string, origin: KeyOrigin, key = generateApiKey()): Promise<{ id: string; apiKey: string; createdAt: Date }> {
  const { rows } = await tx.query<{ id: string; created_at: Date }>(
    'INSERT INTO api_keys (partner_id, key_hash, origin) VALUES ($1, $2, $3) RETURNING id, created_at', [partnerId, hashApiKey(key), origin])
  return { id: rows[0]!.id, apiKey: key, createdAt: rows[0]!.created_at }
}

export type KeySummary = {
  id: string; origin: KeyOrigin; state: 'active' | 'expiring' | 'expired' | 'revoked'
  createdAt: string; expiresAt: string | null; revokedAt: string | null; lastUsedAt: string | null
}

type KeyListRow = { id: string; origin: KeyOrigin; created_at: Date; expires_at: Date | null; revoked_at: Date | null; last_used_at: Date | null; now: Date }

const summary = (r: KeyListRow): KeySummary => ({
  id: r.id, origin: r.origin,
  state: r.revoked_at ? 'revoked' : r.expires_at && r.expires_at <= r.now ? 'expired' : r.expires_at ? 'expiring' : 'active',
  createdAt: r.created_at.toISOString(), expiresAt: r.expires_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null, lastUsedAt: r.last_used_at?.toISOString() ?? null,
})

/** A principal's keys, oldest first: ids and dates, never hashes. */
export async function listKeys(db: Db | Tx, partnerId: string): Promise<KeySummary[]> {
  const { rows } = await db.query<KeyListRow>(
    'SELECT id, origin, created_at, expires_at, revoked_at, last_used_at, now() AS now FROM api_keys WHERE partner_id = $1 ORDER BY created_at, id', [partnerId])
  return rows.map(summary)
}

/**
 * Rotation: a new key for `partnerId`; the keys it replaces (`only` one key, else every key still working)
 * keep working for `graceSeconds` more (an earlier expiry is kept), then stop.
 */
export async function rotateKeys(tx: Tx, partnerId: string, graceSeconds: number, only: string | null = null) {
  const replaced = (await tx.query<{ id: string; expires_at: Date }>(
    `UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), now() + make_interval(secs => $2))
      WHERE partner_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) AND ($3::uuid IS NULL OR id = $3)
      RETURNING id, expires_at`, [partnerId, graceSeconds, only])).rows
  const issued = await issueKey(tx, partnerId, 'rotation')
  return { ...issued, replaced: replaced.map((r) => ({ id: r.id, expiresAt: r.expires_at.toISOString() })) }
}

export type Revocation = { outcome: 'revoked'; key: KeySummary } | { outcome: 'not-found' } | { outcome: 'last-admin-key' }

/** Revokes one key of `partnerId` at once (idempotent: a revoked key keeps its first revocation time). */
export async function revokeKey(tx: Tx, partnerId: string, keyId: string): Promise<Revocation> {
  const target = (await tx.query<{ role: string }>(
    'SELECT p.role FROM api_keys k JOIN partners p ON p.id = k.partner_id WHERE k.id = $1 AND k.partner_id = $2 FOR UPDATE OF k', [keyId, partnerId])).rows[0]
  if (!target) return { outcome: 'not-found' }
  if (target.role === 'admin') {
    // The operator must keep a way in: revoking the last working admin key would lock everybody out.
    const others = (await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM api_keys k JOIN partners p ON p.id = k.partner_id
        WHERE p.role = 'admin' AND k.id <> $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())`, [keyId])).rows[0]!.n
    if (others === 0) return { outcome: 'last-admin-key' }
  }
  const { rows } = await tx.query<KeyListRow>(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1
      RETURNING id, origin, created_at, expires_at, revoked_at, last_used_at, now() AS now`, [keyId])
  return { outcome: 'revoked', key: summary(rows[0]!) }
}

export type Seeded = { principal: Omit<Principal, 'keyId'>; key: 'created' | 'kept' | 'revoked' | 'expired' }

/**
 * Seeds the principal `name` (the demo partner, the admin) with `key`, at every start of `npm start` and the
 * test hub. The key is added if its hash is unknown, and the principal's previous *seeded* keys are revoked
 * (a new key in keys.json or the environment replaces the old seed, as before keys could rotate; keys issued
 * through the API are left alone). A seeded key that was revoked or has expired is never brought back: the
 * answer says so, and the caller tells the operator to replace the key it was given. `sellers` are bound to
 * the principal (added, never removed: the operator's own bindings stay).
 */
export async function upsertPrincipal(db: Db, name: string, role: Principal['role'], key: string, options: { sellers?: string[] } = {}): Promise<Seeded> {
  const client = await db.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`principal:${name}`])
    const principal = (await client.query<Omit<Principal, 'keyId'>>(
      `INSERT INTO partners (name, role) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role
       RETURNING id, name, role`, [name, role])).rows[0]!
    const existing = (await client.query<{ partner_id: string; revoked_at: Date | null; expires_at: Date | null; expired: boolean }>(
      'SELECT partner_id, revoked_at, expires_at, expires_at <= now() AS expired FROM api_keys WHERE key_hash = $1', [hashApiKey(key)])).rows[0]
    let outcome: Seeded['key']
    if (existing && existing.partner_id !== principal.id) {
      throw new Error(`the key seeded for '${name}' already belongs to another principal; give '${name}' a key of its own`)
    } else if (existing) {
      outcome = existing.revoked_at ? 'revoked' : existing.expired ? 'expired' : 'kept'
    } else {
      await client.query(`UPDATE api_keys SET revoked_at = now() WHERE partner_id = $1 AND origin = 'seed' AND revoked_at IS NULL`, [principal.id])
      await issueKey(client, principal.id, 'seed', key)
      outcome = 'created'
    }
    for (const seller of options.sellers ?? []) {
      await client.query('INSERT INTO partner_sellers (partner_id, seller) VALUES ($1, $2) ON CONFLICT DO NOTHING', [principal.id, seller.toLowerCase()])
    }
    await client.query('COMMIT')
    return { principal, key: outcome }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}
