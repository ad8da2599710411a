// People of the portal and their structures: who they are, where they work and with which role (Chorus Pro's
// principal manager, secondary manager, user), their setup links, recovery codes, and the record of what happened
// to their account (portal_events), which the sign-in limits read.
import { createHash, randomBytes } from 'node:crypto'
import type { Db, Tx } from '../../kit/db.js'

export type Role = 'principal' | 'secondary' | 'user'
export const roles: readonly Role[] = ['principal', 'secondary', 'user']
export type Person = {
  id: string; email: string; name: string; passwordHash: string | null; operator: boolean
  totpSecret: string | null; totpLastStep: number | null; lang: 'fr' | 'en'; disabled: boolean
}
/**
 * `receives`: the partner receives at this SIRET (a buyer's pages); `sends`: it sends for it (a seller binding, or an
 * address of a structure that is not a public entity of the directory: a supplier's pages).
 */
export type Membership = { partnerId: string; partnerName: string; siret: string; role: Role; structureName: string | null; receives: boolean; sends: boolean }

type PersonRow = { id: string; email: string; name: string; password_hash: string | null; operator: boolean; totp_secret: string | null; totp_last_step: string | null; lang: 'fr' | 'en'; disabled_at: Date | null }
const toPerson = (r: PersonRow): Person => ({
  id: r.id, email: r.email, name: r.name, passwordHash: r.password_hash, operator: r.operator, totpSecret: r.totp_secret,
  totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step), lang: r.lang, disabled: r.disabled_at !== null,
})

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
export const normaliseEmail = (email: string) => email.trim().toLowerCase()
// No colon: an authenticator app reads `issuer:account` in the enrolment URI (totp.ts refuses one).
export const isEmail = (email: string) => /^[^\s@:]{1,64}@[^\s@:]{1,255}\.[^\s@:]{2,}$/.test(email) && email.length <= 254

export async function personByEmail(db: Db, email: string): Promise<Person | null> {
  const { rows } = await db.query<PersonRow>('SELECT * FROM people WHERE email = $1', [normaliseEmail(email)])
  return rows[0] ? toPerson(rows[0]) : null
}
export async function personById(db: Db, id: string): Promise<Person | null> {
  const { rows } = await db.query<PersonRow>('SELECT * FROM people WHERE id = $1', [id])
  return rows[0] ? toPerson(rows[0]) : null
}

/**
 * The structures of a person: each membership with its partner, the structure's name (from the directory of
 * public structures when it is one, else the partner's) and whether the partner receives at that SIRET.
 */
export async function membershipsOf(db: Db | Tx, personId: string): Promise<Membership[]> {
  const { rows } = await db.query<{ partner_id: string; partner_name: string; siret: string; role: Role; structure_name: string | null; receives: boolean; sends: boolean }>(
    `SELECT m.partner_id, p.name AS partner_name, m.siret, m.role, s.name AS structure_name,
            EXISTS (SELECT 1 FROM partner_addresses a WHERE a.partner_id = m.partner_id AND a.address = '0009:' || m.siret) AS receives,
            (EXISTS (SELECT 1 FROM partner_sellers x WHERE x.partner_id = m.partner_id AND x.seller = '0009:' || m.siret) OR s.siret IS NULL) AS sends
       FROM memberships m JOIN partners p ON p.id = m.partner_id LEFT JOIN structures s ON s.siret = m.siret
      WHERE m.person_id = $1 ORDER BY coalesce(s.name, p.name), m.siret`, [personId])
  return rows.map((r) => ({ partnerId: r.partner_id, partnerName: r.partner_name, siret: r.siret, role: r.role, structureName: r.structure_name, receives: r.receives, sends: r.sends }))
}

/** The people of one structure, managers first. */
export async function membersOf(db: Db, partnerId: string, siret: string) {
  return (await db.query<{ id: string; email: string; name: string; role: Role; enrolled: boolean; disabled: boolean; password_set: boolean }>(
    `SELECT p.id, p.email, p.name, m.role, p.totp_secret IS NOT NULL AS enrolled, p.disabled_at IS NOT NULL AS disabled, p.password_hash IS NOT NULL AS password_set
       FROM memberships m JOIN people p ON p.id = m.person_id WHERE m.partner_id = $1 AND m.siret = $2
      ORDER BY array_position(ARRAY['principal', 'secondary', 'user'], m.role), p.name`, [partnerId, siret])).rows
}

/** The SIRETs a partner sends from or receives at (its structures: where its people may be members). */
export async function structuresOfPartner(db: Db, partnerId: string): Promise<string[]> {
  return (await db.query<{ siret: string }>(
    `SELECT substr(address, 6) AS siret FROM partner_addresses WHERE partner_id = $1 AND address LIKE '0009:%'
      UNION SELECT substr(seller, 6) FROM partner_sellers WHERE partner_id = $1 AND seller LIKE '0009:%' ORDER BY 1`, [partnerId])).rows.map((r) => r.siret)
}

/** The person of `email`, created if new (no password, no factor: they set both through a setup link). */
export async function ensurePerson(db: Db | Tx, p: { email: string; name: string; operator?: boolean }): Promise<{ id: string; created: boolean }> {
  const { rows } = await db.query<{ id: string; created: boolean }>(
    `INSERT INTO people (email, name, operator) VALUES ($1, $2, $3)
     ON CONFLICT (email) DO UPDATE SET operator = people.operator OR EXCLUDED.operator
     RETURNING id, (xmax = 0) AS created`, [normaliseEmail(p.email), p.name.trim(), p.operator ?? false])
  return rows[0]!
}

export async function addMembership(db: Db | Tx, m: { personId: string; partnerId: string; siret: string; role: Role; addedBy: string | null }): Promise<void> {
  await db.query(
    `INSERT INTO memberships (person_id, partner_id, siret, role, added_by) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (person_id, partner_id, siret) DO UPDATE SET role = EXCLUDED.role`, [m.personId, m.partnerId, m.siret, m.role, m.addedBy])
}

export async function removeMembership(db: Db, m: { personId: string; partnerId: string; siret: string }): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM memberships WHERE person_id = $1 AND partner_id = $2 AND siret = $3', [m.personId, m.partnerId, m.siret])
  return (rowCount ?? 0) > 0
}

/**
 * A one-use link to set a password (and enrol a factor): the token is returned once, to be given to the person by
 * whoever made it (a manager, the operator, `npm start` for the first operator); only its hash is kept. Earlier
 * unused links of the person stop working.
 */
export async function newSetupLink(db: Db | Tx, personId: string, createdBy: string | null, hours: number): Promise<string> {
  const tokenValue = randomBytes(32).toString('base64url')
  await db.query('UPDATE setup_links SET used_at = now() WHERE person_id = $1 AND used_at IS NULL', [personId])
  await db.query(`INSERT INTO setup_links (token_hash, person_id, created_by, expires_at) VALUES ($1, $2, $3, now() + make_interval(hours => $4))`,
    [sha256(tokenValue), personId, createdBy, hours])
  return tokenValue
}

/** The person a setup link is for, while it is unused and unexpired. */
export async function setupLinkPerson(db: Db, tokenValue: string): Promise<Person | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(tokenValue)) return null
  const { rows } = await db.query<PersonRow>(
    `SELECT p.* FROM setup_links l JOIN people p ON p.id = l.person_id
      WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > now() AND p.disabled_at IS NULL`, [sha256(tokenValue)])
  return rows[0] ? toPerson(rows[0]) : null
}

/** Uses the link: true once, for the first caller (two tabs submitting at once: one wins). */
export async function useSetupLink(db: Db | Tx, tokenValue: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE setup_links SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()', [sha256(tokenValue)])
  return (rowCount ?? 0) === 1
}

export async function setPassword(db: Db | Tx, personId: string, passwordHash: string): Promise<void> {
  await db.query('UPDATE people SET password_hash = $2, password_set_at = now() WHERE id = $1', [personId, passwordHash])
}

/** Forgets the person's second factors (lost phone or key): TOTP, recovery codes, security keys; they enrol again at their next sign-in. */
export async function clearFactors(db: Db | Tx, personId: string): Promise<void> {
  await db.query('UPDATE people SET totp_secret = NULL, totp_enrolled_at = NULL, totp_last_step = NULL WHERE id = $1', [personId])
  await db.query('DELETE FROM recovery_codes WHERE person_id = $1', [personId])
  await db.query('DELETE FROM webauthn_credentials WHERE person_id = $1', [personId])
}

export async function enrolTotp(db: Db | Tx, personId: string, secret: string, step: number, recoveryHashes: string[]): Promise<void> {
  await db.query('UPDATE people SET totp_secret = $2, totp_enrolled_at = now(), totp_last_step = $3 WHERE id = $1', [personId, secret, step])
  await db.query('DELETE FROM recovery_codes WHERE person_id = $1', [personId])
  await db.query('INSERT INTO recovery_codes (person_id, code_hash) SELECT $1, unnest($2::text[])', [personId, recoveryHashes])
}

/** Moves the last accepted TOTP step forward, only forward: two requests with one code, one succeeds. */
export async function acceptTotpStep(db: Db, personId: string, step: number): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE people SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)', [personId, step])
  return (rowCount ?? 0) === 1
}

/** Uses one recovery code (by its hash): true once. */
export async function useRecoveryCode(db: Db, personId: string, codeHash: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE recovery_codes SET used_at = now() WHERE person_id = $1 AND code_hash = $2 AND used_at IS NULL', [personId, codeHash])
  return (rowCount ?? 0) === 1
}
export async function recoveryCodesLeft(db: Db, personId: string): Promise<number> {
  return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM recovery_codes WHERE person_id = $1 AND used_at IS NULL', [personId])).rows[0]!.n)
}

export type PortalEvent = {
  kind: string; outcome: 'ok' | 'failed' | 'refused'; personId?: string | null; email?: string | null; address?: string | null
  actorId?: string | null; detail?: Record<string, unknown>
}
export async function record(db: Db | Tx, e: PortalEvent): Promise<void> {
  await db.query('INSERT INTO portal_events (kind, outcome, person_id, email, address, actor_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [e.kind, e.outcome, e.personId ?? null, e.email ? normaliseEmail(e.email) : null, e.address ?? null, e.actorId ?? null, JSON.stringify(e.detail ?? {})])
}

export type SignInLimits = { perAccount: number; perAddress: number; windowMinutes: number }
/**
 * Whether a sign-in may be tried now: an account (by email, known or not, so a probe learns nothing) and an
 * address each get a number of failed steps (password or second factor) in a sliding window; a success on the
 * account starts its count again. Refused: the minutes until the oldest counted failure leaves the window.
 */
export async function signInAllowed(db: Db, email: string, address: string | null, limits: SignInLimits): Promise<{ ok: true } | { ok: false; scope: 'account' | 'address'; retryMinutes: number }> {
  const { rows } = await db.query<{ scope: 'account' | 'address'; failures: string; oldest: Date | null }>(
    `WITH last_ok AS (SELECT max(at) AS at FROM portal_events WHERE email = $1 AND kind = 'sign-in' AND outcome = 'ok')
     SELECT 'account' AS scope, count(*) AS failures, min(at) AS oldest FROM portal_events
      WHERE email = $1 AND outcome = 'failed' AND kind LIKE 'sign-in%' AND at > now() - make_interval(mins => $3)
        AND at > coalesce((SELECT at FROM last_ok), '-infinity')
     UNION ALL
     SELECT 'address', count(*), min(at) FROM portal_events
      WHERE $2::text IS NOT NULL AND address = $2 AND outcome = 'failed' AND kind LIKE 'sign-in%' AND at > now() - make_interval(mins => $3)`,
    [normaliseEmail(email), address, limits.windowMinutes])
  for (const r of rows) {
    const max = r.scope === 'account' ? limits.perAccount : limits.perAddress
    if (Number(r.failures) >= max && r.oldest) {
      const retryMinutes = Math.max(1, Math.ceil((r.oldest.getTime() + limits.windowMinutes * 60_000 - Date.now()) / 60_000))
      return { ok: false, scope: r.scope, retryMinutes }
    }
  }
  return { ok: true }
}

/**
 * The hub's first operator, seeded at every start: created if missing. While they have not both set a password
 * and enrolled a second factor, a new one-use setup link is made (the previous one stops working) for the start
 * to print; after that, null: they sign in as anyone does.
 */
export async function seedOperator(db: Db, email: string): Promise<{ email: string; setupToken: string | null }> {
  const person = await ensurePerson(db, { email, name: 'Operator', operator: true })
  const current = await personById(db, person.id)
  if (current?.passwordHash && current.totpSecret) return { email, setupToken: null }
  return { email, setupToken: await newSetupLink(db, person.id, null, 24) }
}
