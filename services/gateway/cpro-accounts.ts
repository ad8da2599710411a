// Who may call the Chorus Pro-compatible API (cpro-routes.ts), as PISTE and Chorus Pro decide it:
// - an OAuth client (PISTE's "application", client_credentials) gets a bearer token valid an hour, for its partner;
// - every call also names a technical account in the `cpro-account` header (base64 of `login:password`), bound to
//   structures (SIRETs) of that partner, whose password expires after 424 days as Chorus Pro's do, and is reset by
//   the partner or the admin (a new random password, shown once).
// Secrets are generated here, random and long: only their SHA-256 is kept (api-keys.ts says why that is enough).
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Db } from '../kit/db.js'

export const TOKEN_SECONDS = 3600
export const PASSWORD_DAYS = 424

const secret = (bytes = 24) => randomBytes(bytes).toString('base64url')
const hash = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex')

export type CproClient = { clientId: string; clientSecret: string; partnerId: string }

/** A new OAuth client for the partner; its secret is returned this once. */
export async function createClient(db: Db, partnerId: string): Promise<CproClient> {
  const clientId = randomUUID()
  const clientSecret = secret(32)
  await db.query('INSERT INTO cpro_clients (client_id, secret_hash, partner_id) VALUES ($1, $2, $3)', [clientId, hash(clientSecret), partnerId])
  return { clientId, clientSecret, partnerId }
}

/** The client_credentials grant: a bearer token for a known, unrevoked client with the right secret. */
export async function issueToken(db: Db, clientId: string, clientSecret: string): Promise<{ ok: true; accessToken: string; expiresIn: number } | { ok: false }> {
  const client = (await db.query<{ secret_hash: string }>('SELECT secret_hash FROM cpro_clients WHERE client_id = $1 AND revoked_at IS NULL', [clientId])).rows[0]
  if (!client || client.secret_hash !== hash(clientSecret)) return { ok: false }
  const accessToken = secret(32)
  await db.query(`INSERT INTO cpro_tokens (token_hash, client_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`, [hash(accessToken), clientId, TOKEN_SECONDS])
  // Expired tokens go as new ones come: the table holds about an hour of them.
  await db.query(`DELETE FROM cpro_tokens WHERE expires_at < now() - interval '1 day'`)
  return { ok: true, accessToken, expiresIn: TOKEN_SECONDS }
}

/** The partner a bearer token acts for, or why not. */
export async function tokenPartner(db: Db, token: string): Promise<{ ok: true; partnerId: string; clientId: string } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' }> {
  const row = (await db.query<{ client_id: string; partner_id: string; expired: boolean; revoked: boolean }>(
    `SELECT t.client_id, c.partner_id, t.expires_at <= now() AS expired, c.revoked_at IS NOT NULL AS revoked
       FROM cpro_tokens t JOIN cpro_clients c USING (client_id) WHERE t.token_hash = $1`, [hash(token)])).rows[0]
  if (!row) return { ok: false, reason: 'unknown' }
  if (row.revoked) return { ok: false, reason: 'revoked' }
  if (row.expired) return { ok: false, reason: 'expired' }
  return { ok: true, partnerId: row.partner_id, clientId: row.client_id }
}

export type TechnicalAccount = { login: string; partnerId: string; structures: string[]; passwordExpiresAt: Date; createdAt: Date; disabled: boolean }
type AccountRow = { login: string; partner_id: string; structures: string[]; password_expires_at: Date; created_at: Date; disabled_at: Date | null }
const account = (r: AccountRow): TechnicalAccount =>
  ({ login: r.login, partnerId: r.partner_id, structures: r.structures, passwordExpiresAt: r.password_expires_at, createdAt: r.created_at, disabled: r.disabled_at !== null })

const LOGIN = /^[A-Za-z0-9._@+-]{3,100}$/

/** The SIRETs among `structures` that the partner neither sends for nor receives at (it may bind only its own). */
export async function foreignStructures(db: Db, partnerId: string, structures: string[]): Promise<string[]> {
  const own = new Set((await db.query<{ address: string }>(
    `SELECT seller AS address FROM partner_sellers WHERE partner_id = $1 UNION SELECT address FROM partner_addresses WHERE partner_id = $1`, [partnerId])).rows.map((r) => r.address))
  return structures.filter((s) => !own.has(`0009:${s}`))
}

export type AccountRequest = { login?: string; structures: string[] }

/**
 * A new technical account for the partner, bound to some of its structures; its password is returned this once.
 * `problem`: why not (a login taken or malformed, a structure not the partner's).
 */
export async function createAccount(db: Db, partnerId: string, request: AccountRequest): Promise<{ ok: true; account: TechnicalAccount; password: string } | { ok: false; problem: string; conflict?: boolean }> {
  const login = request.login ?? `TECH_1_${randomBytes(6).toString('hex').toUpperCase()}@cpro.facteur`
  if (!LOGIN.test(login)) return { ok: false, problem: 'login: 3 to 100 letters, digits or . _ @ + -' }
  if (!Array.isArray(request.structures) || request.structures.length === 0 || !request.structures.every((s) => typeof s === 'string' && /^[0-9]{14}$/.test(s))) {
    return { ok: false, problem: 'structures: one or more SIRETs (14 digits) of the partner\'s structures' }
  }
  const foreign = await foreignStructures(db, partnerId, request.structures)
  if (foreign.length > 0) return { ok: false, problem: `structures: ${foreign.join(', ')} ${foreign.length > 1 ? 'are' : 'is'} not a structure this partner sends for or receives at (its sellers and addresses)` }
  const password = secret(18)
  const { rows } = await db.query<AccountRow>(
    `INSERT INTO cpro_accounts (login, partner_id, password_hash, structures, password_expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(days => $5))
     ON CONFLICT (login) DO NOTHING RETURNING *`, [login, partnerId, hash(password), [...new Set(request.structures)], PASSWORD_DAYS])
  if (!rows[0]) return { ok: false, problem: `the login ${login} is taken`, conflict: true }
  return { ok: true, account: account(rows[0]), password }
}

/** A new password for the account (`partnerId` null: the admin, for any partner's account). */
export async function resetPassword(db: Db, partnerId: string | null, login: string): Promise<{ account: TechnicalAccount; password: string } | null> {
  const password = secret(18)
  const { rows } = await db.query<AccountRow>(
    `UPDATE cpro_accounts SET password_hash = $3, password_set_at = now(), password_expires_at = now() + make_interval(days => $4)
      WHERE login = $1 AND ($2::uuid IS NULL OR partner_id = $2) RETURNING *`, [login, partnerId, hash(password), PASSWORD_DAYS])
  return rows[0] ? { account: account(rows[0]), password } : null
}

export async function listAccounts(db: Db, partnerId: string | null): Promise<TechnicalAccount[]> {
  const { rows } = await db.query<AccountRow>('SELECT * FROM cpro_accounts WHERE $1::uuid IS NULL OR partner_id = $1 ORDER BY created_at', [partnerId])
  return rows.map(account)
}

export type AccountCheck = { ok: true; account: TechnicalAccount } | { ok: false; reason: string }

/**
 * The `cpro-account` header (base64 of `login:password`, split at the first colon: a password may hold one) checked
 * for the token's partner: known, its password right and not expired, the account not disabled.
 */
export async function checkAccount(db: Db, header: string | undefined, partnerId: string, now = new Date()): Promise<AccountCheck> {
  if (!header) return { ok: false, reason: 'the cpro-account header is missing: base64 of login:password of a technical account' }
  const decoded = Buffer.from(header.trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return { ok: false, reason: 'the cpro-account header is not base64 of login:password' }
  const [login, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)]
  const row = (await db.query<AccountRow & { password_hash: string }>('SELECT * FROM cpro_accounts WHERE login = $1', [login])).rows[0]
  // One answer for an unknown login, a wrong password and another partner's account: nothing to probe.
  if (!row || row.password_hash !== hash(password) || row.partner_id !== partnerId) return { ok: false, reason: `the technical account ${login} or its password is not right for this application` }
  if (row.disabled_at) return { ok: false, reason: `the technical account ${login} is disabled` }
  if (row.password_expires_at.getTime() <= now.getTime()) {
    return { ok: false, reason: `the password of the technical account ${login} expired on ${row.password_expires_at.toISOString().slice(0, 10)}: the partner or the operator resets it (POST /v1/cpro/accounts/{login}/password)` }
  }
  return { ok: true, account: account(row) }
}
