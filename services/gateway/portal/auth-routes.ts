// Signing in, step by step: the password (rate-limited per account and per address), then the second factor
// (a TOTP code, or a one-use recovery code), or its enrolment when the person has none yet. A setup link (made by a
// manager, the operator or the first start) lets a person choose a password; nothing else resets one. Every step,
// good or bad, is recorded in portal_events. Each step starts a new session id (sessions.ts).
import express, { type Request, type Response, type Router } from 'express'
import { html, hidden, trusted } from './html.js'
import { advance, clearSessionCookie, csrfChecked, ctx, finishSignIn, limitsOf, render, safeNext, signedIn, type PortalDeps } from './context.js'
import { endSession, endSessionsOf, sessionsOf, setPending } from './sessions.js'
import {
  acceptTotpStep, enrolTotp, personByEmail, personById, record, recoveryCodesLeft, setPassword, setupLinkPerson, signInAllowed,
  useRecoveryCode, useSetupLink, type Person,
} from './people.js'
import { checkNewPassword, hashPassword, needsRehash, spendVerifyTime, verifyPassword } from './passwords.js'
import { newTotpSecret, totpUri, verifyTotp } from './totp.js'
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.js'
import { qrSvg } from './qr.js'
import { securityKeySignIn, securityKeysSection } from './webauthn-routes.js'
import { inTransaction } from '../../kit/db.js'

const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 })
/** A form field exactly as typed (passwords are not trimmed). */
const field = (req: Request, name: string) => { const v = (req.body as Record<string, unknown> | undefined)?.[name]; return typeof v === 'string' ? v : '' }

export function authRoutes(r: Router, deps: PortalDeps) {
  const { db, log, config } = deps
  const limits = limitsOf(config)

  const signInPage = (req: Request, res: Response, notice: { kind: 'error'; text: string } | null = null, email = '', status = 200) => {
    const { t, session } = ctx(req)
    render(req, res, {
      title: t.signInTitle, notice, status,
      body: html`<p>${t.signInHelp}</p>
        <form method="post" action="/portal/sign-in" class="stack narrow">
          ${hidden({ _csrf: session!.csrf, next: safeNext(req.query.next ?? field(req, 'next')) })}
          <label for="email">${t.email}</label>
          <input id="email" name="email" type="email" autocomplete="username" required value="${email}" autofocus>
          <label for="password">${t.password}</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required>
          <button type="submit">${t.signIn}</button>
        </form>`,
    })
  }

  /** A page with a form for a visitor: an anonymous session holds its CSRF token (a session id is never reused). */
  const anonymous = async (req: Request, res: Response) => {
    const c = ctx(req)
    if (!c.session || c.session.stage !== 'anonymous') await advance(deps, req, res, { personId: null, stage: 'anonymous' })
  }

  r.get('/sign-in', async (req, res) => {
    const c = ctx(req)
    if (c.session?.stage === 'signed-in') return res.redirect(303, safeNext(req.query.next))
    await anonymous(req, res)
    signInPage(req, res)
  })

  r.post('/sign-in', form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const email = field(req, 'email').trim().toLowerCase().slice(0, 254)
    const password = field(req, 'password')
    const allowed = await signInAllowed(db, email, c.address, limits.signIn)
    if (!allowed.ok) {
      await record(db, { kind: 'sign-in.password', outcome: 'refused', email, address: c.address, detail: { limit: allowed.scope } })
      log.warn({ scope: allowed.scope, address: c.address }, 'portal sign-in refused: too many failures')
      res.set('Retry-After', String(allowed.retryMinutes * 60))
      return signInPage(req, res, { kind: 'error', text: c.t.tooManyAttempts(allowed.retryMinutes) }, email, 429)
    }
    const person = email ? await personByEmail(db, email) : null
    // An unknown email costs the same time as a wrong password: the answer does not tell which.
    const ok = person?.passwordHash && !person.disabled ? await verifyPassword(password, person.passwordHash) : (await spendVerifyTime(), false)
    if (!ok || !person) {
      await record(db, { kind: 'sign-in.password', outcome: 'failed', personId: person?.id ?? null, email, address: c.address })
      return signInPage(req, res, { kind: 'error', text: c.t.wrongCredentials }, email, 401)
    }
    await record(db, { kind: 'sign-in.password', outcome: 'ok', personId: person.id, email, address: c.address })
    // A hash made with weaker parameters than today's is made again while the password is at hand.
    if (needsRehash(person.passwordHash!)) await setPassword(db, person.id, await hashPassword(password))
    await advance(deps, req, res, { personId: person.id, stage: person.totpSecret ? 'password' : 'enrol', pending: { next: safeNext(field(req, 'next')) } })
    res.redirect(303, person.totpSecret ? '/portal/second-factor' : '/portal/enrol')
  })

  const secondFactorPage = async (req: Request, res: Response, recovery: boolean, notice: { kind: 'error'; text: string } | null = null, status = 200) => {
    const { t, session } = ctx(req)
    const keys = recovery ? '' : await securityKeySignIn(db, req)
    render(req, res, {
      title: t.secondFactorTitle, notice, status,
      body: recovery
        ? html`<form method="post" action="/portal/second-factor" class="stack narrow">
            ${hidden({ _csrf: session!.csrf, method: 'recovery' })}
            <label for="recovery">${t.recoveryCode}</label>
            <p class="hint" id="recovery-hint">${t.recoveryHelp}</p>
            <input id="recovery" name="code" autocomplete="off" spellcheck="false" required aria-describedby="recovery-hint" autofocus>
            <button type="submit">${t.continue}</button>
          </form>`
        : html`<form method="post" action="/portal/second-factor" class="stack narrow">
            ${hidden({ _csrf: session!.csrf, method: 'totp' })}
            <label for="code">${t.code}</label>
            <p class="hint" id="code-hint">${t.secondFactorHelp}</p>
            <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required aria-describedby="code-hint" autofocus>
            <button type="submit">${t.continue}</button>
          </form>
          ${keys}
          <p><a href="/portal/second-factor?recovery=1">${t.useRecoveryCode}</a></p>`,
    })
  }

  /** The person half-signed-in (password given) on this session, or a redirect to the sign-in page. */
  const halfway = (req: Request, res: Response, stage: 'password' | 'enrol'): Person | null => {
    const c = ctx(req)
    if (c.session?.stage === stage && c.person) return c.person
    res.redirect(303, c.session?.stage === 'signed-in' ? '/portal' : '/portal/sign-in')
    return null
  }

  r.get('/second-factor', (req, res) => {
    if (!halfway(req, res, 'password')) return
    return secondFactorPage(req, res, req.query.recovery === '1')
  })

  r.post('/second-factor', form, csrfChecked, async (req, res) => {
    const person = halfway(req, res, 'password')
    if (!person) return
    const c = ctx(req)
    const recovery = field(req, 'method') === 'recovery'
    const allowed = await signInAllowed(db, person.email, c.address, limits.signIn)
    if (!allowed.ok) {
      await record(db, { kind: 'sign-in.factor', outcome: 'refused', personId: person.id, email: person.email, address: c.address, detail: { limit: allowed.scope } })
      res.set('Retry-After', String(allowed.retryMinutes * 60))
      return secondFactorPage(req, res, recovery, { kind: 'error', text: c.t.tooManyAttempts(allowed.retryMinutes) }, 429)
    }
    let ok = false
    if (recovery) {
      ok = await useRecoveryCode(db, person.id, hashRecoveryCode(field(req, 'code')))
    } else if (person.totpSecret) {
      const check = verifyTotp(person.totpSecret, field(req, 'code'), { lastStep: person.totpLastStep })
      // The step moves forward in the database too: the same code sent twice at once passes once.
      ok = check.ok && await acceptTotpStep(db, person.id, check.step)
    }
    const kind = recovery ? 'sign-in.recovery-code' : 'sign-in.totp'
    if (!ok) {
      await record(db, { kind, outcome: 'failed', personId: person.id, email: person.email, address: c.address })
      return secondFactorPage(req, res, recovery, { kind: 'error', text: recovery ? c.t.wrongRecoveryCode : c.t.wrongCode }, 401)
    }
    await record(db, { kind, outcome: 'ok', personId: person.id, email: person.email, address: c.address })
    res.redirect(303, await finishSignIn(deps, req, res, { factor: recovery ? 'recovery-code' : 'totp' }))
  })

  // Enrolment: a secret kept in the session until the person proves their app has it (a first code).
  r.get('/enrol', async (req, res) => {
    const person = halfway(req, res, 'enrol')
    if (!person) return
    const c = ctx(req)
    let secret = typeof c.session!.pending.totpSecret === 'string' ? c.session!.pending.totpSecret : null
    if (!secret) {
      secret = newTotpSecret()
      await setPending(db, c.session!, { ...c.session!.pending, totpSecret: secret })
    }
    await enrolPage(req, res, person, secret)
  })

  const enrolPage = async (req: Request, res: Response, person: Person, secret: string, notice: { kind: 'error'; text: string } | null = null, status = 200) => {
    const { t, session } = ctx(req)
    const qr = await qrSvg(totpUri({ secret, account: person.email, issuer: 'Facteur' }), t.qrTitle)
    render(req, res, {
      title: t.enrolTitle, notice, status,
      body: html`<p>${t.enrolHelp}</p>
        <div class="qr">${trusted(qr)}</div>
        <p>${t.enrolManual} <code class="secret" data-secret>${secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
        <form method="post" action="/portal/enrol" class="stack narrow">
          ${hidden({ _csrf: session!.csrf })}
          <label for="code">${t.code}</label>
          <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required>
          <button type="submit">${t.continue}</button>
        </form>`,
    })
  }

  r.post('/enrol', form, csrfChecked, async (req, res) => {
    const person = halfway(req, res, 'enrol')
    if (!person) return
    const c = ctx(req)
    const secret = typeof c.session!.pending.totpSecret === 'string' ? c.session!.pending.totpSecret : null
    if (!secret) return res.redirect(303, '/portal/enrol')
    const check = verifyTotp(secret, field(req, 'code'), { lastStep: null })
    if (!check.ok) {
      await record(db, { kind: 'factor.totp.enrol', outcome: 'failed', personId: person.id, email: person.email, address: c.address })
      return enrolPage(req, res, person, secret, { kind: 'error', text: c.t.wrongCode }, 400)
    }
    const { codes, hashes } = newRecoveryCodes()
    await enrolTotp(db, person.id, secret, check.step, hashes)
    await record(db, { kind: 'factor.totp.enrolled', outcome: 'ok', personId: person.id, email: person.email, address: c.address })
    const next = await finishSignIn(deps, req, res, { factor: 'totp', enrolled: true })
    render(req, res, {
      title: c.t.recoveryTitle,
      body: html`<p>${c.t.recoveryIntro}</p>
        <ul class="codes" data-recovery-codes>${codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
        <p><a class="button" href="${next}">${c.t.recoveryDone}</a></p>`,
    })
  })

  // A setup link: choose a password. The person then signs in as anyone does (and enrols a factor if they have none).
  r.get('/setup/:token', async (req, res) => {
    const c = ctx(req)
    const person = await setupLinkPerson(db, String(req.params.token))
    if (!person) return render(req, res, { title: c.t.setupTitle, body: [], notice: { kind: 'error', text: c.t.setupLinkInvalid }, status: 404 })
    await anonymous(req, res)
    setupPage(req, res, person)
  })

  const setupPage = (req: Request, res: Response, person: Person, notice: { kind: 'error'; text: string } | null = null, status = 200) => {
    const { t, session } = ctx(req)
    render(req, res, {
      title: t.setupTitle, notice, status,
      body: html`<p>${t.setupHelp}</p>
        <form method="post" class="stack narrow">
          ${hidden({ _csrf: session!.csrf })}
          <label for="email">${t.email}</label>
          <input id="email" name="username" type="email" autocomplete="username" value="${person.email}" readonly>
          <label for="password">${t.newPassword}</label>
          <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" maxlength="128" required autofocus>
          <label for="confirm">${t.confirmPassword}</label>
          <input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="12" maxlength="128" required>
          <button type="submit">${t.continue}</button>
        </form>`,
    })
  }

  r.post('/setup/:token', form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const tokenValue = String(req.params.token)
    const person = await setupLinkPerson(db, tokenValue)
    if (!person) return render(req, res, { title: c.t.setupTitle, body: [], notice: { kind: 'error', text: c.t.setupLinkInvalid }, status: 404 })
    const password = field(req, 'password')
    if (password !== field(req, 'confirm')) return setupPage(req, res, person, { kind: 'error', text: c.t.passwordsDiffer }, 400)
    const checked = checkNewPassword(password, { email: person.email, name: person.name })
    if (!checked.ok) return setupPage(req, res, person, { kind: 'error', text: c.t.passwordRefused[checked.reason] }, 400)
    const hash = await hashPassword(password)
    const used = await inTransaction(db, async (tx) => {
      if (!await useSetupLink(tx, tokenValue)) return false
      await setPassword(tx, person.id, hash)
      await record(tx, { kind: 'password.set', outcome: 'ok', personId: person.id, email: person.email, address: c.address, detail: { through: 'setup-link' } })
      return true
    })
    if (!used) return render(req, res, { title: c.t.setupTitle, body: [], notice: { kind: 'error', text: c.t.setupLinkInvalid }, status: 404 })
    // Any session the person had ends with the old password; they go on with the second factor (or its enrolment).
    await endSessionsOf(db, person.id)
    const fresh = await personById(db, person.id)
    await advance(deps, req, res, { personId: person.id, stage: fresh?.totpSecret ? 'password' : 'enrol', pending: { next: '/portal' } })
    res.redirect(303, fresh?.totpSecret ? '/portal/second-factor' : '/portal/enrol')
  })

  r.post('/sign-out', form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    if (c.session) await endSession(db, c.session)
    if (c.person) await record(db, { kind: 'sign-out', outcome: 'ok', personId: c.person.id, email: c.person.email, address: c.address })
    clearSessionCookie(res, config)
    res.redirect(303, '/portal/sign-in')
  })

  r.post('/account/sign-out-everywhere', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const ended = await endSessionsOf(db, c.person!.id, c.session)
    await record(db, { kind: 'sign-out.everywhere', outcome: 'ok', personId: c.person!.id, email: c.person!.email, address: c.address, detail: { ended } })
    await accountPage(req, res, { kind: 'ok', text: c.t.signedOutEverywhere(ended) })
  })

  const accountPage = async (req: Request, res: Response, notice: { kind: 'ok' | 'error'; text: string } | null = null) => {
    const c = ctx(req)
    const { t } = c
    const person = c.person!
    const [sessions, left, events] = await Promise.all([
      sessionsOf(db, person.id), recoveryCodesLeft(db, person.id),
      db.query<{ at: Date; kind: string; outcome: string; address: string | null }>(
        'SELECT at, kind, outcome, address FROM portal_events WHERE person_id = $1 ORDER BY id DESC LIMIT 20', [person.id]).then((r) => r.rows),
    ])
    const when = (d: Date) => d.toLocaleString(c.lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris' })
    render(req, res, {
      title: t.securityTitle, current: 'account', notice,
      body: html`<section aria-labelledby="factor-h"><h2 id="factor-h">${t.factor}</h2>
          <p>${t.authenticatorApp}: ${person.totpSecret ? t.enrolled : t.notEnrolled}. ${t.recoveryLeft(left)}.</p></section>
        ${await securityKeysSection(db, req)}
        <section aria-labelledby="sessions-h"><h2 id="sessions-h">${t.sessions}</h2>
          <div class="table" tabindex="0" role="region" aria-labelledby="sessions-h"><table><thead><tr><th scope="col">${t.started}</th><th scope="col">${t.lastSeen}</th><th scope="col">${t.address}</th><th scope="col">${t.browser}</th></tr></thead>
          <tbody>${sessions.map((s) => html`<tr><td>${when(s.created_at)}${s.id_hash === c.session!.idHash ? html` <strong>(${t.thisSession})</strong>` : ''}</td><td>${when(s.last_seen_at)}</td><td>${s.address ?? ''}</td><td>${s.user_agent ?? ''}</td></tr>`)}</tbody></table></div>
          <form method="post" action="/portal/account/sign-out-everywhere">${hidden({ _csrf: c.session!.csrf })}<button type="submit">${t.signOutEverywhere}</button></form></section>
        <section aria-labelledby="events-h"><h2 id="events-h">${t.signIns}</h2>
          <div class="table" tabindex="0" role="region" aria-labelledby="events-h"><table><thead><tr><th scope="col">${t.at}</th><th scope="col">${t.event}</th><th scope="col">${t.outcome}</th><th scope="col">${t.address}</th></tr></thead>
          <tbody>${events.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.kind}</td><td>${e.outcome}</td><td>${e.address ?? ''}</td></tr>`)}</tbody></table></div></section>`,
    })
  }
  r.get('/account', signedIn, (req, res) => accountPage(req, res))

  r.get('/lang/:lang', (req, res) => {
    const lang = req.params.lang === 'en' ? 'en' : 'fr'
    res.append('Set-Cookie', `facteur-lang=${lang}; Path=/portal; SameSite=Lax; Max-Age=31536000`)
    res.redirect(303, safeNext(req.query.back))
  })

}
