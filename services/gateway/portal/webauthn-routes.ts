// Security keys and passkeys in the portal's pages: adding and removing them on the security page (signed in only),
// and using one at the second-factor step instead of a TOTP code. Each ceremony is two JSON requests from
// static/webauthn.js (options, then the browser's answer), the challenge kept in the session between them; bad input
// is a 4xx problem+json whose `detail` the script shows. A sign-in with a key ends as one with a code does
// (auth-routes.ts): the failures count towards the sign-in limits, the events are recorded, the session id changes.
// Why TOTP stays the first factor: the enrolment at first sign-in gives the recovery codes, and a lost key must not
// lock anyone out; keys are added afterwards, from the security page.
import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import type { Db } from '../../kit/db.js'
import { problem, problemContentType } from '../../kit/problem.js'
import { html, hidden, type Html } from './html.js'
import { csrfChecked, ctx, finishSignIn, limitsOf, render, signedIn, type PortalDeps } from './context.js'
import { endSessionsOf, setPending } from './sessions.js'
import { record, signInAllowed } from './people.js'
import { webauthnMessages, type WebauthnMessages } from './webauthn-i18n.js'
import {
  addKey, authenticationBody, authenticationOptions, keyOf, keysOf, maxKeysPerPerson, registrationBody, registrationOptions,
  relyingParty, removeKey, takeChallenge, useKey, verifyAuthentication, verifyRegistration, withChallenge,
} from './webauthn.js'

const wt = (req: Request): WebauthnMessages => webauthnMessages[ctx(req).lang]
const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 })
const parseJson = express.json({ limit: '64kb' })

type Code = 'INVALID_REQUEST' | 'UNAUTHENTICATED' | 'CONFLICT' | 'RATE_LIMITED'
function refuse(res: Response, code: Code, detail: string) {
  const p = problem(code, detail)
  res.status(p.status).type(problemContentType).send(JSON.stringify(p))
}

/** A JSON body, or a 400 that says so (express's own parse error would reach the portal's 503 handler). */
const json = (req: Request, res: Response, next: NextFunction) =>
  parseJson(req, res, (error?: unknown) => (error ? refuse(res, 'INVALID_REQUEST', wt(req).badRequest) : next()))
const signedInJson = (req: Request, res: Response, next: NextFunction) => {
  const c = ctx(req)
  return c.session?.stage === 'signed-in' && c.person ? next() : refuse(res, 'UNAUTHENTICATED', wt(req).sessionEnded)
}
/** At the second-factor step: the password given on this session, the second factor not yet. */
const halfwayJson = (req: Request, res: Response, next: NextFunction) => {
  const c = ctx(req)
  return c.session?.stage === 'password' && c.person ? next() : refuse(res, 'UNAUTHENTICATED', wt(req).signInFirst)
}

/** The sentences the page's script shows, as data attributes of its form (the script holds no text). */
const scriptTexts = (t: WebauthnMessages) =>
  html`data-waiting="${t.waiting}" data-cancelled="${t.cancelled}" data-failed="${t.failed}" data-reload="${t.reload}" data-registered="${t.alreadyRegistered}" data-done="${t.keyAdded}"`
const script = html`<script src="/portal/static/webauthn.js" defer></script>`

export function webauthnRoutes(r: Router, deps: PortalDeps) {
  const { db, log, config } = deps
  const limits = limitsOf(config)

  // ---- adding a key (security page) ----
  r.post('/account/security-keys/options', signedInJson, json, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const keys = await keysOf(db, c.person!.id)
    if (keys.length >= maxKeysPerPerson) return refuse(res, 'CONFLICT', wt(req).tooManyKeys(keys.length))
    const options = await registrationOptions({ rpID: relyingParty(ctx(req).origin).rpID, person: c.person!, keys })
    await setPending(db, c.session!, withChallenge(c.session!.pending, 'register', options.challenge))
    res.json(options)
  })

  r.post('/account/security-keys', signedInJson, json, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const t = wt(req)
    const person = c.person!
    const body = registrationBody(req.body)
    if (!body.ok) return refuse(res, 'INVALID_REQUEST', body.problem === 'name' ? t.badName : t.badRequest)
    const { challenge, rest } = takeChallenge(c.session!.pending, 'register')
    if (!challenge) return refuse(res, 'CONFLICT', t.noChallenge)
    await setPending(db, c.session!, rest)
    const who = { personId: person.id, email: person.email, address: c.address }
    const verified = await verifyRegistration({ credential: body.value.credential, challenge, ...relyingParty(ctx(req).origin) })
    if (!verified.ok) {
      await record(db, { kind: 'factor.webauthn.added', outcome: 'failed', ...who, detail: { reason: verified.reason } })
      log.info({ personId: person.id, reason: verified.reason }, 'portal: security key refused')
      return refuse(res, 'INVALID_REQUEST', t.notVerified)
    }
    if ((await keysOf(db, person.id)).length >= maxKeysPerPerson) return refuse(res, 'CONFLICT', t.tooManyKeys(maxKeysPerPerson))
    const added = await addKey(db, person.id, body.value.name, verified.value)
    if (!added) {
      await record(db, { kind: 'factor.webauthn.added', outcome: 'failed', ...who, detail: { reason: 'already registered' } })
      return refuse(res, 'CONFLICT', t.alreadyRegistered)
    }
    await record(db, { kind: 'factor.webauthn.added', outcome: 'ok', ...who, detail: { key: added.id, name: body.value.name, transports: verified.value.transports, userVerified: verified.value.userVerified } })
    log.info({ personId: person.id, key: added.id }, 'portal: security key added')
    // A query that differs each time: the script's navigation reloads the page even when it is already at #keys-h.
    res.status(201).json({ id: added.id, name: body.value.name, href: `/portal/account?key=${added.id}#keys-h` })
  })

  // Removing a key ends the person's other sessions, as a lost factor should (sessions.ts).
  r.post('/account/security-keys/:id/remove', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const person = c.person!
    const id = String(req.params.id)
    const name = await removeKey(db, person.id, id)
    if (name === null) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    const ended = await endSessionsOf(db, person.id, c.session)
    await record(db, { kind: 'factor.webauthn.removed', outcome: 'ok', personId: person.id, email: person.email, address: c.address, detail: { key: id, name, ended } })
    log.info({ personId: person.id, key: id, ended }, 'portal: security key removed')
    res.redirect(303, '/portal/account#keys-h')
  })

  // ---- using a key (second-factor step) ----
  r.post('/second-factor/webauthn/options', halfwayJson, json, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const keys = await keysOf(db, c.person!.id)
    if (keys.length === 0) return refuse(res, 'CONFLICT', wt(req).noKeysToUse)
    const options = await authenticationOptions({ rpID: relyingParty(ctx(req).origin).rpID, keys })
    await setPending(db, c.session!, withChallenge(c.session!.pending, 'sign-in', options.challenge))
    res.json(options)
  })

  r.post('/second-factor/webauthn', halfwayJson, json, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const t = wt(req)
    const person = c.person!
    const who = { personId: person.id, email: person.email, address: c.address }
    const allowed = await signInAllowed(db, person.email, c.address, limits.signIn)
    if (!allowed.ok) {
      await record(db, { kind: 'sign-in.factor', outcome: 'refused', ...who, detail: { limit: allowed.scope } })
      res.set('Retry-After', String(allowed.retryMinutes * 60))
      return refuse(res, 'RATE_LIMITED', c.t.tooManyAttempts(allowed.retryMinutes))
    }
    const body = authenticationBody(req.body)
    if (!body.ok) return refuse(res, 'INVALID_REQUEST', t.badRequest)
    const { challenge, rest } = takeChallenge(c.session!.pending, 'sign-in')
    if (!challenge) return refuse(res, 'CONFLICT', t.noChallenge)
    await setPending(db, c.session!, rest)
    const found = await keyOf(db, person.id, body.value.credential.id)
    const verified = found
      ? await verifyAuthentication({ credential: body.value.credential, challenge, ...relyingParty(ctx(req).origin), ...found })
      : { ok: false as const, reason: 'not a key of this person' }
    // The counter moves on in the database too: one answer sent twice at once passes once.
    const used = verified.ok && found !== null && await useKey(db, found.key.id, found.key.counter, verified.value.counter)
    if (!used) {
      const reason = verified.ok ? 'counter already moved on' : verified.reason
      await record(db, { kind: 'sign-in.webauthn', outcome: 'failed', ...who, detail: { reason, ...(found ? { key: found.key.id } : {}) } })
      return refuse(res, 'UNAUTHENTICATED', t.notRecognised)
    }
    await record(db, { kind: 'sign-in.webauthn', outcome: 'ok', ...who, detail: { key: found!.key.id, name: found!.key.name, userVerified: verified.ok && verified.value.userVerified } })
    // The session's pending values are `rest` now (setPending above): its `next` is where the person was going.
    res.json({ next: await finishSignIn(deps, req, res, { factor: 'webauthn' }) })
  })
}

const when = (lang: 'fr' | 'en', d: Date) => d.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris' })

/** The security page's section: the person's keys (each with its removal form) and the form to add one. */
export async function securityKeysSection(db: Db, req: Request): Promise<Html> {
  const c = ctx(req)
  const t = wt(req)
  const keys = await keysOf(db, c.person!.id)
  const csrf = c.session!.csrf
  const justAdded = keys.some((k) => k.id === req.query.key)
  return html`<section aria-labelledby="keys-h"><h2 id="keys-h">${t.keysTitle}</h2>
    <p>${t.keysHelp}</p>
    ${justAdded ? html`<p class="notice ok" role="status">${t.keyAdded}</p>` : ''}
    ${keys.length === 0 ? html`<p data-no-keys>${t.noKeys}</p>` : html`<div class="table" tabindex="0" role="region" aria-labelledby="keys-h"><table class="keys">
      <thead><tr><th scope="col">${t.name}</th><th scope="col">${t.added}</th><th scope="col">${t.lastUsed}</th><th scope="col">${t.action}</th></tr></thead>
      <tbody>${keys.map((k) => html`<tr data-key="${k.id}"><td>${k.name}</td><td>${when(c.lang, k.createdAt)}</td><td>${k.lastUsedAt ? when(c.lang, k.lastUsedAt) : t.never}</td>
        <td><form method="post" action="/portal/account/security-keys/${k.id}/remove" class="inline">${hidden({ _csrf: csrf })}<button type="submit" class="secondary" aria-label="${t.removeKey(k.name)}">${t.remove}</button></form></td></tr>`)}</tbody>
    </table></div>`}
    <p class="hint" data-webauthn-unavailable>${t.unavailable}</p>
    <form class="stack narrow webauthn" data-webauthn="register" ${scriptTexts(t)} hidden>
      ${hidden({ _csrf: csrf })}
      <label for="key-name">${t.newKeyName}</label>
      <p class="hint" id="key-name-hint">${t.newKeyHint}</p>
      <input id="key-name" name="name" maxlength="60" required autocomplete="off" aria-describedby="key-name-hint">
      <button type="submit">${t.addKey}</button>
      <p class="webauthn-status" data-webauthn-status role="status"></p>
    </form>
    ${script}</section>`
}

/** The second-factor page's offer of a key, when the person has one (nothing otherwise); the TOTP form stays. */
export async function securityKeySignIn(db: Db, req: Request): Promise<Html> {
  const c = ctx(req)
  if (!c.person || (await keysOf(db, c.person.id)).length === 0) return html``
  const t = wt(req)
  return html`<div class="stack narrow webauthn" data-webauthn="sign-in" data-csrf="${c.session!.csrf}" ${scriptTexts(t)} hidden>
      <p>${t.orKey}</p>
      <button type="button" data-webauthn-start>${t.useKey}</button>
      <p class="webauthn-status" data-webauthn-status role="status"></p>
    </div>
    ${script}`
}
