// The portal's sessions, server-side in PostgreSQL. The browser holds only a random id (256 bits) in a Secure,
// HttpOnly, SameSite=Strict cookie; the table holds its sha256, so a copy of the table signs nobody in. Every step
// of a sign-in (anonymous → password → signed-in) starts a new session and ends the old one: an id planted in a
// browser before the sign-in never becomes a signed-in session (fixation). Idle and absolute timeouts end it;
// sign-out everywhere ends every session of the person.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Db } from '../../kit/db.js'

export type Stage = 'anonymous' | 'password' | 'enrol' | 'signed-in'
export type Session = {
  idHash: string; personId: string | null; stage: Stage; csrf: string; pending: Record<string, unknown>
  createdAt: Date; lastSeenAt: Date; expiresAt: Date
}
export type SessionLimits = { idleMinutes: number; absoluteHours: number }

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const token = () => randomBytes(32).toString('base64url')

/** The cookie's name: `__Host-` (Secure, Path=/, no Domain: no subdomain can set or read it) when served securely. */
export const cookieName = (secure: boolean) => (secure ? '__Host-facteur-session' : 'facteur-session')

export function sessionCookie(id: string, secure: boolean, maxAgeSeconds: number): string {
  return [`${cookieName(secure)}=${id}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`, ...(secure ? ['Secure'] : [])].join('; ')
}
export const clearedCookie = (secure: boolean) => sessionCookie('', secure, 0)

/** The session id sent by the browser (the Cookie header's value for our name), or null. */
export function cookieValue(header: string | undefined, secure: boolean): string | null {
  if (!header) return null
  const name = cookieName(secure)
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=')
    if (at > 0 && pair.slice(0, at).trim() === name) {
      const v = pair.slice(at + 1).trim()
      return /^[A-Za-z0-9_-]{43}$/.test(v) ? v : null
    }
  }
  return null
}

type Row = { id_hash: string; person_id: string | null; stage: Stage; csrf: string; pending: Record<string, unknown>; created_at: Date; last_seen_at: Date; expires_at: Date }
const toSession = (r: Row): Session => ({ idHash: r.id_hash, personId: r.person_id, stage: r.stage, csrf: r.csrf, pending: r.pending, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at })

/**
 * The live session of `id`: not past its absolute expiry, not idle for longer than allowed (an anonymous or
 * half-signed-in session gets the idle limit too). Its last-seen time moves on when a minute has gone by, so a
 * page view costs no write.
 */
export async function readSession(db: Db, id: string, limits: SessionLimits): Promise<Session | null> {
  const { rows } = await db.query<Row>(
    `UPDATE portal_sessions SET last_seen_at = CASE WHEN last_seen_at < now() - interval '1 minute' THEN now() ELSE last_seen_at END
      WHERE id_hash = $1 AND expires_at > now() AND last_seen_at > now() - make_interval(mins => $2)
      RETURNING *`, [sha256(id), limits.idleMinutes])
  return rows[0] ? toSession(rows[0]) : null
}

/**
 * A new session (its id is returned once, for the cookie), replacing `previous` if given. The absolute expiry runs
 * from the password's check: a step after it keeps it (`keepExpiry`), so finishing a sign-in cannot extend it.
 */
export async function startSession(db: Db, s: {
  personId: string | null; stage: Stage; pending?: Record<string, unknown>; address: string | null; userAgent: string | null
  previous?: Session | null; keepExpiry?: boolean
}, limits: SessionLimits): Promise<{ id: string; session: Session }> {
  const id = token()
  const keep = s.keepExpiry && s.previous ? s.previous.expiresAt : null
  const { rows } = await db.query<Row>(
    `WITH gone AS (DELETE FROM portal_sessions WHERE id_hash = $7)
     INSERT INTO portal_sessions (id_hash, person_id, stage, csrf, pending, expires_at, address, user_agent)
     VALUES ($1, $2, $3, $4, $5, coalesce($6, now() + make_interval(hours => $8)), $9, $10) RETURNING *`,
    [sha256(id), s.personId, s.stage, token(), JSON.stringify(s.pending ?? {}), keep, s.previous?.idHash ?? null, limits.absoluteHours,
      s.address, s.userAgent?.slice(0, 300) ?? null])
  return { id, session: toSession(rows[0]!) }
}

/** Keeps a value for the session's next step (an enrolment's secret, a WebAuthn challenge). */
export async function setPending(db: Db, session: Session, pending: Record<string, unknown>): Promise<void> {
  await db.query('UPDATE portal_sessions SET pending = $2 WHERE id_hash = $1', [session.idHash, JSON.stringify(pending)])
  session.pending = pending
}

export async function endSession(db: Db, session: Session): Promise<void> {
  await db.query('DELETE FROM portal_sessions WHERE id_hash = $1', [session.idHash])
}

/** Ends every session of the person (sign-out everywhere, a password reset, a factor removed), but `keep`. */
export async function endSessionsOf(db: Db, personId: string, keep: Session | null = null): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM portal_sessions WHERE person_id = $1 AND id_hash <> coalesce($2, \'\')', [personId, keep?.idHash ?? null])
  return rowCount ?? 0
}

/** The form's CSRF token against the session's (constant time). */
export function csrfMatches(session: Session, sent: unknown): boolean {
  if (typeof sent !== 'string' || sent.length !== session.csrf.length) return false
  return timingSafeEqual(Buffer.from(sent), Buffer.from(session.csrf))
}

/** The person's open sessions (for their security page): never the ids. */
export async function sessionsOf(db: Db, personId: string) {
  return (await db.query<{ created_at: Date; last_seen_at: Date; address: string | null; user_agent: string | null; id_hash: string }>(
    `SELECT id_hash, created_at, last_seen_at, address, user_agent FROM portal_sessions
      WHERE person_id = $1 AND stage = 'signed-in' AND expires_at > now() ORDER BY last_seen_at DESC`, [personId])).rows
}
