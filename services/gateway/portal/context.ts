// What every portal request carries: its language, its session, and once signed in the person and their
// structures; and the checks every page shares (signed in, CSRF, same origin), with the security headers.
import type { NextFunction, Request, Response } from 'express'
import type { Config } from '../../kit/config.js'
import type { Db } from '../../kit/db.js'
import type { Logger } from '../../kit/log.js'
import { clearedCookie, cookieValue, csrfMatches, endSession, readSession, sessionCookie, startSession, type Session, type SessionLimits, type Stage } from './sessions.js'
import { membershipsOf, personById, record, type Membership, type Person, type SignInLimits } from './people.js'
import { messages, pickLang, type Lang, type Messages } from './i18n.js'
import { page, type Notice, type Viewer } from './layout.js'
import type { Html } from './html.js'
import { problem, problemContentType } from '../../kit/problem.js'

export type PortalDeps = { config: Config; db: Db; log: Logger }
export type Ctx = {
  lang: Lang; t: Messages; session: Session | null; person: Person | null; memberships: Membership[]; address: string | null
  /** The portal's origin as the browser sees it (publicOrigin). */
  origin: string
}
export type PortalRequest = Request & { portal: Ctx }
export const ctx = (req: Request) => (req as PortalRequest).portal

export const limitsOf = (config: Config): { session: SessionLimits; signIn: SignInLimits; setupHours: number } => ({
  session: { idleMinutes: config.portalIdleMinutes, absoluteHours: config.portalSessionHours },
  signIn: { perAccount: config.portalSignInAttempts, perAddress: config.portalSignInAttemptsPerAddress, windowMinutes: 15 },
  setupHours: 72,
})

/**
 * Strict by default: only the hub's own scripts, styles and images; no framing; the referrer only to the hub itself
 * (setup links carry a token in their path; `no-referrer` would also make Chromium send `Origin: null` with the
 * hub's own forms, which the CSRF check refuses); nothing cached (pages show a person's documents).
 */
export function securityHeaders(_req: Request, res: Response, next: NextFunction) {
  res.set({
    'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  })
  next()
}

/**
 * The portal's origin as the browser sees it: FACTEUR_PORTAL_URL's behind a TLS front end (where the request
 * reaching the gateway says http and another host), else the request's own.
 */
export const publicOrigin = (req: Request, config: Config) => (config.portalUrl ? new URL(config.portalUrl).origin : `${req.protocol}://${req.get('host')}`)

/** Reads the language and the session; a signed-in session brings its person and structures. */
export const readContext = ({ config, db }: PortalDeps) => async (req: Request, res: Response, next: NextFunction) => {
  try {
    const limits = limitsOf(config)
    const id = cookieValue(req.get('cookie'), config.portalSecureCookies)
    let session = id ? await readSession(db, id, limits.session) : null
    let person: Person | null = null
    let memberships: Membership[] = []
    if (session?.personId) {
      person = await personById(db, session.personId)
      if (!person || person.disabled) {
        await endSession(db, session)
        session = null
        person = null
      } else if (session.stage === 'signed-in') {
        memberships = await membershipsOf(db, person.id)
      }
    }
    const lang = pickLang(req.get('cookie'), req.get('accept-language'), person?.lang ?? 'fr')
    ;(req as PortalRequest).portal = { lang, t: messages[lang], session, person, memberships, address: req.socket.remoteAddress ?? null, origin: publicOrigin(req, config) }
    next()
  } catch (error) { next(error) }
}

export function setSessionCookie(res: Response, config: Config, id: string) {
  res.append('Set-Cookie', sessionCookie(id, config.portalSecureCookies, config.portalSessionHours * 3600))
}
export function clearSessionCookie(res: Response, config: Config) {
  res.append('Set-Cookie', clearedCookie(config.portalSecureCookies))
}

/** A new session at `stage` replacing the request's (the id changes: fixation), its cookie set. */
export async function advance(deps: PortalDeps, req: Request, res: Response, to: { personId: string | null; stage: Stage; pending?: Record<string, unknown>; keepExpiry?: boolean }) {
  const c = ctx(req)
  const { id, session } = await startSession(deps.db, {
    ...to, address: c.address, userAgent: req.get('user-agent') ?? null, previous: c.session,
  }, limitsOf(deps.config).session)
  setSessionCookie(res, deps.config, id)
  c.session = session
  return session
}

/** A form field as typed, trimmed ('' when absent). Passwords are read untrimmed (auth-routes.ts). */
export const field = (req: Request, name: string) => { const v = (req.body as Record<string, unknown> | undefined)?.[name]; return typeof v === 'string' ? v.trim() : '' }

/** Where to go after signing in: a portal path only (never another site). */
export const safeNext = (v: unknown) => (typeof v === 'string' && /^\/portal(\/[^\s\\]*)?$/.test(v) && !v.startsWith('//') ? v : '/portal')

/**
 * The end of every sign-in, whatever the second factor (a TOTP code, a recovery code, an enrolment, a security
 * key): recorded, a new session id at the signed-in stage with the password's expiry, logged. Returns where the
 * person was going.
 */
export async function finishSignIn(deps: PortalDeps, req: Request, res: Response, detail: Record<string, unknown>): Promise<string> {
  const c = ctx(req)
  const person = c.person!
  const next = safeNext(c.session!.pending.next)
  await record(deps.db, { kind: 'sign-in', outcome: 'ok', personId: person.id, email: person.email, address: c.address, detail })
  await advance(deps, req, res, { personId: person.id, stage: 'signed-in', keepExpiry: true })
  deps.log.info({ personId: person.id, ...detail }, 'portal sign-in')
  return next
}

/** The viewer of the page header: name, menu and the CSRF token of its forms. */
export function viewerOf(c: Ctx): Viewer {
  if (!c.person || !c.session || c.session.stage !== 'signed-in') return null
  const m = c.memberships
  return {
    name: c.person.name, operator: c.person.operator, csrf: c.session.csrf,
    manages: m.some((x) => x.role !== 'user'), sends: m.some((x) => x.sends), receives: m.some((x) => x.receives),
  }
}

/** Sends a page of the portal. */
export function render(req: Request, res: Response, p: { title: string; body: Html | Html[]; current?: string; notice?: Notice; status?: number }) {
  const c = ctx(req)
  res.status(p.status ?? 200).type('html').send(page({ lang: c.lang, title: p.title, viewer: viewerOf(c), body: p.body, path: req.originalUrl, current: p.current, notice: p.notice }))
}

/** Pages for signed-in people only: others go to the sign-in page (a half-finished sign-in to its next step). */
export function signedIn(req: Request, res: Response, next: NextFunction) {
  const c = ctx(req)
  if (c.session?.stage === 'signed-in' && c.person) return next()
  if (c.session?.stage === 'password') return res.redirect(303, '/portal/second-factor')
  if (c.session?.stage === 'enrol') return res.redirect(303, '/portal/enrol')
  if (req.method === 'GET') return res.redirect(303, `/portal/sign-in?next=${encodeURIComponent(req.originalUrl)}`)
  return render(req, res, { title: c.t.signIn, body: [], notice: { kind: 'error', text: c.t.sessionEnded }, status: 401 })
}

export const operatorOnly = (req: Request, res: Response, next: NextFunction) => {
  const c = ctx(req)
  if (c.person?.operator) return next()
  render(req, res, { title: c.t.forbidden, body: [], status: 403 })
}

/**
 * Every state-changing request (POST) carries the session's CSRF token, in the form (`_csrf`) or, for the
 * upload script, the `X-CSRF-Token` header; and comes from this origin (Origin, where the browser sends it, and
 * Sec-Fetch-Site). SameSite=Strict cookies already keep other sites' forms from riding a session; this is the
 * second lock, and the one that protects the sign-in form itself (login CSRF).
 */
export function csrfChecked(req: Request, res: Response, next: NextFunction) {
  const c = ctx(req)
  const origin = req.get('origin')
  const site = req.get('sec-fetch-site')
  const sameOrigin = (!origin || origin === c.origin) && (!site || site === 'same-origin' || site === 'none')
  const token = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('x-csrf-token')
  if (sameOrigin && c.session && csrfMatches(c.session, token)) return next()
  res.locals.csrfRefused = true
  // The pages' scripts (uploads, security keys) read JSON: they get the refusal as problem+json.
  if (req.get('x-csrf-token') !== undefined || req.is('application/json')) {
    const p = problem('FORBIDDEN', c.t.csrfRefused)
    return void res.status(p.status).type(problemContentType).send(JSON.stringify(p))
  }
  render(req, res, { title: c.t.forbidden, body: [], notice: { kind: 'error', text: c.t.csrfRefused }, status: 403 })
}
