// Partner and admin API keys. Keys are 192 random bits, so a plain SHA-256 is enough to store them
// (a slow password hash protects guessable secrets; these are not guessable). Only the hash is kept.
import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../kit/db.js'

export type Principal = { id: string; name: string; role: 'partner' | 'admin' }

export const generateApiKey = () => `fct_${randomBytes(24).toString('base64url')}`
export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex')

/** Reads `Authorization: Bearer <key>` (RFC 6750 §2.1); null when absent or not a bearer credential. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header ?? '')
  return match?.[1] ?? null
}

export async function authenticate(db: Db, key: string): Promise<Principal | null> {
  const { rows } = await db.query<Principal>('SELECT id, name, role FROM partners WHERE key_hash = $1', [hashApiKey(key)])
  return rows[0] ?? null
}

/** Creates the principal `name` or sets its key: used to seed the demo partner and the admin. */
export async function upsertPrincipal(db: Db, name: string, role: Principal['role'], key: string): Promise<Principal> {
  const { rows } = await db.query<Principal>(
    `INSERT INTO partners (name, role, key_hash) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, key_hash = EXCLUDED.key_hash
     RETURNING id, name, role`, [name, role, hashApiKey(key)])
  return rows[0]!
}
