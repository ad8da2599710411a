// The portal (issue 14): the hub for people, in a browser, at /portal. Server-rendered pages (plain functions
// returning HTML, escaped by construction: html.ts) over the same tables and rules as the API, small scripts for
// what HTML cannot do alone (upload progress, security keys), one stylesheet, all served here under a strict
// Content-Security-Policy. Why no front-end framework:
// every page is a list, a form or a document, which HTML does by itself; no build step, nothing to keep in step
// between a client and the API, and the pages work with the keyboard and screen readers as HTML does.
// The path of a request: security headers → session and language (context.ts) → the page's checks (signed in,
// CSRF) → the page. Sign-in: auth-routes.ts (password, TOTP, setup links) and webauthn-routes.ts (security keys);
// documents: document-routes.ts (lists, one document, processing, deposits, recycling) and saisie-routes.ts (an
// invoice typed in a form); structures: structure-routes.ts (people) and settings-routes.ts (flags, services,
// technical accounts); operators: admin-routes.ts and the admin-*.ts pages.
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import { fileURLToPath } from 'node:url'
import { ctx, readContext, render, securityHeaders } from './context.js'
import { authRoutes } from './auth-routes.js'
import { webauthnRoutes } from './webauthn-routes.js'
import { documentRoutes } from './document-routes.js'
import { saisieRoutes } from './saisie-routes.js'
import { structureRoutes } from './structure-routes.js'
import { settingsRoutes } from './settings-routes.js'
import { adminRoutes } from './admin-routes.js'
import type { AdminDeps } from './admin-frame.js'

const staticDir = fileURLToPath(new URL('./static/', import.meta.url))

export function portalRoutes(app: Express, deps: AdminDeps) {
  const r = express.Router()
  r.use(securityHeaders)
  r.use('/static', express.static(staticDir, { index: false, fallthrough: false, maxAge: '1h', setHeaders: (res) => res.set('Cache-Control', 'public, max-age=3600') }))
  r.use(readContext(deps))
  r.get('/', (req, res) => {
    const c = ctx(req)
    if (c.session?.stage !== 'signed-in') return res.redirect(303, '/portal/sign-in')
    const receives = c.memberships.some((m) => m.receives)
    const sends = c.memberships.some((m) => m.sends)
    res.redirect(303, receives && !sends ? '/portal/received' : sends ? '/portal/sent' : c.person!.operator ? '/portal/admin' : '/portal/account')
  })
  authRoutes(r, deps)
  webauthnRoutes(r, deps)
  documentRoutes(r, deps)
  saisieRoutes(r, deps)
  structureRoutes(r, deps)
  settingsRoutes(r, deps)
  adminRoutes(r, deps)
  r.use((req: Request, res: Response) => render(req, res, { title: ctx(req)?.t.notFound ?? 'Not found', body: [], status: 404 }))
  r.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return
    if ((error as { status?: number }).status === 404) return res.status(404).type('text/plain').send('Not found')
    deps.log.error({ err: error, path: req.path }, 'portal page failed')
    res.status(503).type('text/plain').send('The portal could not answer just now (the hub\'s log says why). Try again in a moment.')
  })
  app.use('/portal', r)
}
