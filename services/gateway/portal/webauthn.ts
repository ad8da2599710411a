// Security keys and passkeys (WebAuthn) as a second factor: a person's keys in webauthn_credentials, the options
// the browser is given (through @simplewebauthn/server) and the checks of what it sends back. The ceremony's
// challenge is kept server-side in the session (sessions.ts `pending`), one use, for a few minutes. What is pure here
// (body shapes, names, the counter rule, challenges) is tested in webauthn.test.ts; webauthn-routes.ts is the HTTP.
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server'
import type { Db } from '../../kit/db.js'

export type SecurityKey = {
  id: string; credentialId: string; personId: string; name: string; transports: string[]; counter: number
  createdAt: Date; lastUsedAt: Date | null
}
type KeyRow = { id: string; credential_id: string; person_id: string; name: string; transports: string[]; counter: string; created_at: Date; last_used_at: Date | null }
const toKey = (r: KeyRow): SecurityKey => ({
  id: r.id, credentialId: r.credential_id, personId: r.person_id, name: r.name, transports: r.transports, counter: Number(r.counter),
  createdAt: r.created_at, lastUsedAt: r.last_used_at,
})

/** Enough for a person's keys at home, at work and on a phone; more is a mistake or an abuse. */
export const maxKeysPerPerson = 10
/** How long a ceremony's challenge stays good: the browser's own timeout (2 minutes) and some slack. */
export const challengeMinutes = 5
const timeoutMs = 120_000

// ---- pure parts ----------------------------------------------------------------------------------------------

/** The relying party of the portal's origin as the browser sees it (context.ts publicOrigin): its host name (no port) as the RP ID. */
export const relyingParty = (origin: string) => ({ rpID: new URL(origin).hostname, origin })

/**
 * A signature counter may be accepted when it moved forward, or when neither side keeps one (both 0: passkeys synced
 * between devices often do). Anything else (equal, or backwards, or a key that had a counter and now sends 0) is how
 * a cloned authenticator shows: refused. The same rule as @simplewebauthn/server's, and as the SQL of useKey().
 */
export const counterMovesOn = (stored: number, received: number) => (stored === 0 && received === 0) || received > stored

/** The name a person gives a key: trimmed, spaces folded, no control characters, 1 to 60 characters; else null. */
export function keyName(raw: unknown): string | null {
  if (typeof raw !== 'string') return null
  const name = raw.replace(/[\p{Cc}\p{Cf}]/gu, ' ').replace(/\s+/g, ' ').trim()
  return name.length >= 1 && [...name].length <= 60 ? name : null
}

export const knownTransports = ['ble', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const
/** The transports a browser reported, kept only when they are ones WebAuthn names (they go back into options). */
export const transportsOf = (list: unknown): string[] =>
  Array.isArray(list) ? [...new Set(list.filter((t): t is string => (knownTransports as readonly string[]).includes(t as string)))] : []

const base64url = /^[A-Za-z0-9_-]+$/
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isB64 = (v: unknown, max = 65_536): v is string => typeof v === 'string' && v.length > 0 && v.length <= max && base64url.test(v)

/**
 * Whether a body is the JSON of a PublicKeyCredential as the page's script makes it (the shape of
 * RegistrationResponseJSON / AuthenticationResponseJSON): the library checks the contents, this checks the shape so
 * that bad input is a 400 and never reaches it half-formed.
 */
function credentialJson(v: unknown, kind: 'create' | 'get'): boolean {
  if (!isObject(v) || !isB64(v.id, 1400) || !isB64(v.rawId, 1400) || v.type !== 'public-key' || !isObject(v.response)) return false
  if (v.clientExtensionResults !== undefined && !isObject(v.clientExtensionResults)) return false
  const r = v.response
  if (!isB64(r.clientDataJSON)) return false
  if (kind === 'create') return isB64(r.attestationObject) && (r.transports === undefined || Array.isArray(r.transports))
  return isB64(r.authenticatorData) && isB64(r.signature) && (r.userHandle === undefined || r.userHandle === null || isB64(r.userHandle, 128))
}

export type BodyCheck<T> = { ok: true; value: T } | { ok: false; problem: 'shape' | 'name' }

/** `{ name, credential }` of a key being added. */
export function registrationBody(body: unknown): BodyCheck<{ name: string; credential: RegistrationResponseJSON }> {
  if (!isObject(body) || !credentialJson(body.credential, 'create')) return { ok: false, problem: 'shape' }
  const name = keyName(body.name)
  if (!name) return { ok: false, problem: 'name' }
  const c = body.credential as unknown as RegistrationResponseJSON
  return { ok: true, value: { name, credential: { ...c, clientExtensionResults: c.clientExtensionResults ?? {} } } }
}

/** `{ credential }` of a key used at the second-factor step. */
export function authenticationBody(body: unknown): BodyCheck<{ credential: AuthenticationResponseJSON }> {
  if (!isObject(body) || !credentialJson(body.credential, 'get')) return { ok: false, problem: 'shape' }
  const c = body.credential as unknown as AuthenticationResponseJSON
  const response = { ...c.response, userHandle: c.response.userHandle ?? undefined }
  return { ok: true, value: { credential: { ...c, response, clientExtensionResults: c.clientExtensionResults ?? {} } } }
}

export type Purpose = 'register' | 'sign-in'
export type PendingChallenge = { purpose: Purpose; challenge: string; expires: number }

/** The session's `pending` with a new challenge for `purpose` (other pending values, e.g. `next`, are kept). */
export const withChallenge = (pending: Record<string, unknown>, purpose: Purpose, challenge: string, now = Date.now()): Record<string, unknown> =>
  ({ ...pending, webauthn: { purpose, challenge, expires: now + challengeMinutes * 60_000 } satisfies PendingChallenge })

/**
 * The challenge kept for `purpose`, if there is a live one, and the pending values without it (the caller writes
 * them back before verifying anything: a challenge is good for one answer, right or wrong).
 */
export function takeChallenge(pending: Record<string, unknown>, purpose: Purpose, now = Date.now()): { challenge: string | null; rest: Record<string, unknown> } {
  const { webauthn, ...rest } = pending
  const p = webauthn as Partial<PendingChallenge> | undefined
  const live = isObject(p) && p.purpose === purpose && typeof p.challenge === 'string' && typeof p.expires === 'number' && p.expires > now
  return { challenge: live ? p.challenge! : null, rest }
}

/** WebAuthn's user handle for a person: the 16 bytes of their uuid (no email or name: WebAuthn asks that the handle say nothing about who it is). */
export const userHandle = (personId: string) => Uint8Array.from(Buffer.from(personId.replace(/-/g, ''), 'hex'))

// ---- ceremonies (the library) ---------------------------------------------------------------------------------

/**
 * Options for navigator.credentials.create(): the person's keys excluded (the same key is not added twice), user
 * verification preferred (a PIN or a fingerprint where the key has one; the password is the other factor), no
 * attestation asked (which maker made the key is not our business and would need its certificates).
 */
export function registrationOptions(p: { rpID: string; person: { id: string; email: string; name: string }; keys: SecurityKey[] }): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: 'Facteur', rpID: p.rpID, userName: p.person.email, userDisplayName: p.person.name, userID: userHandle(p.person.id),
    timeout: timeoutMs, attestationType: 'none',
    excludeCredentials: p.keys.map((k) => ({ id: k.credentialId, transports: k.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  })
}

/** Options for navigator.credentials.get(): only the person's keys are allowed. */
export function authenticationOptions(p: { rpID: string; keys: SecurityKey[] }): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: p.rpID, timeout: timeoutMs, userVerification: 'preferred',
    allowCredentials: p.keys.map((k) => ({ id: k.credentialId, transports: k.transports })),
  })
}

export type NewKey = { credentialId: string; publicKey: Uint8Array; counter: number; transports: string[]; userVerified: boolean }
export type Verified<T> = { ok: true; value: T } | { ok: false; reason: string }

/** The browser's answer to create(): the new key, or why not (the library's words, for the log and the event). */
export async function verifyRegistration(p: { credential: RegistrationResponseJSON; challenge: string; rpID: string; origin: string }): Promise<Verified<NewKey>> {
  try {
    const v = await verifyRegistrationResponse({
      response: p.credential, expectedChallenge: p.challenge, expectedOrigin: p.origin, expectedRPID: p.rpID, requireUserVerification: false,
    })
    if (!v.verified) return { ok: false, reason: 'not verified' }
    const c = v.registrationInfo.credential
    return { ok: true, value: { credentialId: c.id, publicKey: c.publicKey, counter: c.counter, transports: transportsOf(c.transports ?? p.credential.response.transports), userVerified: v.registrationInfo.userVerified } }
  } catch (error) {
    return { ok: false, reason: (error as Error).message.slice(0, 300) }
  }
}

/** The browser's answer to get() against the stored key: its new counter, or why not. */
export async function verifyAuthentication(p: {
  credential: AuthenticationResponseJSON; challenge: string; rpID: string; origin: string; key: SecurityKey; publicKey: Uint8Array
}): Promise<Verified<{ counter: number; userVerified: boolean }>> {
  try {
    const v = await verifyAuthenticationResponse({
      response: p.credential, expectedChallenge: p.challenge, expectedOrigin: p.origin, expectedRPID: p.rpID, requireUserVerification: false,
      credential: { id: p.key.credentialId, publicKey: Uint8Array.from(p.publicKey), counter: p.key.counter, transports: p.key.transports },
    })
    if (!v.verified) return { ok: false, reason: 'signature not valid' }
    if (!counterMovesOn(p.key.counter, v.authenticationInfo.newCounter)) return { ok: false, reason: `counter ${v.authenticationInfo.newCounter} after ${p.key.counter}` }
    return { ok: true, value: { counter: v.authenticationInfo.newCounter, userVerified: v.authenticationInfo.userVerified } }
  } catch (error) {
    return { ok: false, reason: (error as Error).message.slice(0, 300) }
  }
}

// ---- the table --------------------------------------------------------------------------------------------------

export async function keysOf(db: Db, personId: string): Promise<SecurityKey[]> {
  return (await db.query<KeyRow>(
    'SELECT id, credential_id, person_id, name, transports, counter, created_at, last_used_at FROM webauthn_credentials WHERE person_id = $1 ORDER BY created_at, id',
    [personId])).rows.map(toKey)
}

/** A person's key by the credential id the browser sent, with its public key; null if it is not theirs. */
export async function keyOf(db: Db, personId: string, credentialId: string): Promise<{ key: SecurityKey; publicKey: Uint8Array } | null> {
  const { rows } = await db.query<KeyRow & { public_key: Buffer }>(
    'SELECT * FROM webauthn_credentials WHERE person_id = $1 AND credential_id = $2', [personId, credentialId])
  return rows[0] ? { key: toKey(rows[0]), publicKey: rows[0].public_key } : null
}

/** Stores a new key; false if that credential is already registered (to anyone). */
export async function addKey(db: Db, personId: string, name: string, k: NewKey): Promise<{ id: string } | null> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO webauthn_credentials (credential_id, person_id, public_key, counter, transports, name) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (credential_id) DO NOTHING RETURNING id`, [k.credentialId, personId, Buffer.from(k.publicKey), k.counter, k.transports, name])
  return rows[0] ?? null
}

/**
 * Records a use: the counter moves on under the same rule as counterMovesOn, in the database, so that two requests
 * carrying one answer (a replay racing the original) pass once.
 */
export async function useKey(db: Db, id: string, from: number, to: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE webauthn_credentials SET counter = $3, last_used_at = now()
      WHERE id = $1 AND counter = $2 AND (($2 = 0 AND $3 = 0) OR $3 > $2)`, [id, from, to])
  return (rowCount ?? 0) === 1
}

/** Removes one of the person's keys; its name, or null if they have no such key. */
export async function removeKey(db: Db, personId: string, id: string): Promise<string | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null
  const { rows } = await db.query<{ name: string }>('DELETE FROM webauthn_credentials WHERE id = $1 AND person_id = $2 RETURNING name', [id, personId])
  return rows[0]?.name ?? null
}
