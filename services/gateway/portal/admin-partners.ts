// The operator's partners: each API principal with the addresses it receives at and sends from and the sellers it
// is bound to (seller-routes.ts bindings), and its API keys (api-keys.ts: listKeys, issueKey, rotateKeys,
// revokeKey, as the admin API's /v1/partners/{id}/keys). A partner is registered here as by POST /v1/partners
// (directory-routes.ts registerPartner) and its sellers replaced as by PUT /v1/partners/{id}/sellers (seller-routes.ts
// setSellers). A new key is shown once, on the answer to the form that made it, and never stored but as its hash;
// each action is recorded in portal_events (operator.partner.created, operator.partner.sellers, operator.key.*:
// the key's id, never the key) and logged.
import express, { type Request, type Response, type Router } from 'express'
import { html, hidden, type Html } from './html.js'
import { csrfChecked, ctx, operatorOnly, signedIn } from './context.js'
import { am, count, field, form, one, operatorPage, recordAction, sectionPath, when, type AdminDeps } from './admin-frame.js'
import type { Notice } from './layout.js'
import { inTransaction } from '../../kit/db.js'
import { issueKey, listKeys, revokeKey, rotateKeys } from '../api-keys.js'
import { findPrincipal } from '../key-routes.js'
import { bindings, setSellers } from '../seller-routes.js'
import { registerPartner } from '../directory-routes.js'

const SHOWN = 5
const LIMIT = 500

// A sellers list may be long (the API takes 10 000): its own body limit, above the operator forms' 64 kB.
const sellersForm = express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 10 })

/** Addresses or sellers typed one per line (commas, semicolons and spaces separate them too). */
const listOf = (text: string) => text.split(/[\s,;]+/).filter(Boolean)

/** The box that shows a new API key, this once. */
const keyShown = (a: ReturnType<typeof am>, name: string, keyId: string, apiKey: string, extra: Html | string = '') =>
  html`<section class="notice ok" aria-labelledby="new-key-h" data-new-key><h2 id="new-key-h">${a.newKeyTitle(name)}</h2>
    <p>${a.newKeyOnce}</p><p><code class="setup-link" data-api-key data-key-id="${keyId}">${apiKey}</code></p>${extra}</section>`

export function partnerRoutes(r: Router, deps: AdminDeps) {
  const { db, log, config } = deps
  const graceHours = Math.round((config.keyRotationGraceSeconds / 3600) * 10) / 10

  const partnersPage = async (req: Request, res: Response, p: { notice?: Notice; status?: number; draft?: { name: string; addresses: string } } = {}) => {
    const c = ctx(req)
    const a = am(req)
    const q = one(req, 'q').slice(0, 200)
    const { rows } = await db.query<{ id: string; name: string; role: string; created_at: Date; addresses: string[]; sellers: string[]; working_keys: number }>(
      `SELECT p.id, p.name, p.role, p.created_at,
              coalesce((SELECT array_agg(x.address ORDER BY x.address) FROM partner_addresses x WHERE x.partner_id = p.id), '{}') AS addresses,
              coalesce((SELECT array_agg(s.seller ORDER BY s.seller) FROM partner_sellers s WHERE s.partner_id = p.id), '{}') AS sellers,
              (SELECT count(*)::int FROM api_keys k WHERE k.partner_id = p.id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())) AS working_keys
         FROM partners p
        WHERE $1 = '' OR p.name ILIKE '%' || $1 || '%' OR EXISTS (SELECT 1 FROM partner_addresses x WHERE x.partner_id = p.id AND x.address ILIKE '%' || $1 || '%')
        ORDER BY p.role = 'admin' DESC, p.name LIMIT $2`, [q, LIMIT])
    const some = (list: string[]) => html`${list.slice(0, SHOWN).map((x) => html`<code>${x}</code> `)}${list.length > SHOWN ? a.andMore(list.length - SHOWN) : ''}`
    operatorPage(req, res, {
      section: 'partners', notice: p.notice, status: p.status,
      body: html`<p class="hint">${a.partnersHint}</p>
        <form method="get" action="${sectionPath.partners}" class="filters" aria-label="${a.filters}">
          <div class="field"><label for="f-q">${a.nameOrAddress}</label><input id="f-q" name="q" value="${q}" maxlength="200" autocomplete="off"></div>
          <div class="field"><button type="submit">${a.filter}</button></div>
        </form>
        <section aria-labelledby="partners-h"><h2 id="partners-h">${a.partnersListed(rows.length, LIMIT)}</h2>
        <div class="table" tabindex="0" role="region" aria-labelledby="partners-h"><table><thead><tr>
          <th scope="col">${a.name}</th><th scope="col">${a.role}</th><th scope="col">${a.addresses}</th><th scope="col">${a.sellers}</th><th scope="col" class="num">${a.workingKeys}</th></tr></thead>
        <tbody>${rows.map((p) => html`<tr data-partner="${p.id}"><td><a href="${sectionPath.partners}/${p.id}">${p.name}</a></td><td>${a.roles[p.role] ?? p.role}</td>
          <td>${some(p.addresses)}</td><td>${some(p.sellers)}</td><td class="num" data-working-keys="${p.working_keys}">${count(p.working_keys, c.lang)}</td></tr>`)}</tbody></table></div></section>
        <section aria-labelledby="register-h"><h2 id="register-h">${a.registerTitle}</h2>
          <form method="post" action="${sectionPath.partners}" class="stack narrow" data-register>
            ${hidden({ _csrf: c.session!.csrf })}
            <label for="r-name">${a.name}</label><input id="r-name" name="name" required maxlength="200" autocomplete="off" value="${p.draft?.name ?? ''}">
            <label for="r-addresses">${a.addressesField}</label>
            <textarea id="r-addresses" name="addresses" rows="3" maxlength="20000" spellcheck="false" aria-describedby="r-addresses-hint">${p.draft?.addresses ?? ''}</textarea>
            <p class="hint" id="r-addresses-hint">${a.registerHint}</p>
            <button type="submit">${a.register}</button>
          </form></section>`,
    })
  }

  r.get('/admin/partners', signedIn, operatorOnly, (req, res) => partnersPage(req, res))

  r.post('/admin/partners', signedIn, operatorOnly, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const a = am(req)
    const draft = { name: field(req, 'name'), addresses: field(req, 'addresses') }
    const outcome = await registerPartner(db, log, { name: draft.name, addresses: listOf(draft.addresses) })
    if (!outcome.ok) {
      return partnersPage(req, res, { notice: { kind: 'error', text: a.notRegistered(outcome.problem.detail) }, status: outcome.problem.status, draft })
    }
    const made = outcome.value
    await recordAction(db, c, 'operator.partner.created', 'ok', { partnerId: made.id, partner: made.name, addresses: made.addresses, keyId: made.keyId })
    log.info({ partnerId: made.id, keyId: made.keyId, personId: c.person!.id }, 'partner registered by an operator in the portal')
    // The key is in this answer only (no redirect): reloading asks to register again, which the name refuses.
    await partnerPage(req, res, made.id, { notice: { kind: 'ok', text: a.registered(made.name) }, status: 201, shown: keyShown(a, made.name, made.keyId, made.apiKey) })
  })

  const partnerPage = async (req: Request, res: Response, id: string, p: { notice?: Notice; status?: number; shown?: Html; sellersDraft?: string } = {}) => {
    const c = ctx(req)
    const a = am(req)
    const partner = await findPrincipal(db, id)
    if (!partner) return operatorPage(req, res, { section: 'partners', body: html`<p><a href="${sectionPath.partners}">${a.backToPartners}</a></p>`, notice: { kind: 'error', text: a.noSuchPartner }, status: 404 })
    const bound = await bindings(db, partner.id)
    const keys = await listKeys(db, partner.id)
    // After a revocation (a redirect: reloading the page revokes nothing more), said once the key shows revoked.
    const revoked = keys.find((k) => k.id === one(req, 'revoked') && k.state === 'revoked')
    const notice = p.notice ?? (revoked ? { kind: 'ok' as const, text: a.keyRevoked(revoked.id) } : null)
    const base = `${sectionPath.partners}/${partner.id}`
    const csrf = hidden({ _csrf: c.session!.csrf })
    operatorPage(req, res, {
      section: 'partners', title: a.partnerTitle(partner.name), notice, status: p.status,
      body: html`${p.shown ?? ''}
        <p><a href="${sectionPath.partners}">${a.backToPartners}</a></p>
        <dl class="facts"><dt>${a.id}</dt><dd><code>${partner.id}</code></dd><dt>${a.role}</dt><dd>${a.roles[partner.role] ?? partner.role}</dd></dl>
        <section aria-labelledby="addresses-h"><h2 id="addresses-h">${a.addresses}</h2>
          ${bound.addresses.length === 0 ? html`<p>${a.none}</p>` : html`<ul class="plain" data-addresses>${bound.addresses.map((x) => html`<li><code>${x}</code></li>`)}</ul>`}
          <p class="hint">${a.addressesHint}</p></section>
        <section aria-labelledby="sellers-h"><h2 id="sellers-h">${a.sellers}</h2>
          ${bound.sellers.length === 0 ? html`<p>${a.none}</p>` : html`<ul class="plain" data-sellers>${bound.sellers.map((x) => html`<li><code>${x}</code></li>`)}</ul>`}
          <p class="hint">${a.sellersHint}</p>
          ${partner.role === 'partner' ? html`<form method="post" action="${base}/sellers" class="stack narrow" data-sellers-form>${csrf}
            <label for="p-sellers">${a.sellersField}</label>
            <textarea id="p-sellers" name="sellers" rows="${Math.min(Math.max(bound.sellers.length + 1, 3), 12)}" spellcheck="false" aria-describedby="p-sellers-hint">${p.sellersDraft ?? bound.sellers.join('\n')}</textarea>
            <p class="hint" id="p-sellers-hint">${a.sellersFormHint}</p>
            <button type="submit">${a.setSellers}</button></form>` : ''}</section>
        <section aria-labelledby="keys-h"><h2 id="keys-h">${a.keys}</h2>
          <div class="table" tabindex="0" role="region" aria-labelledby="keys-h"><table class="ops" data-keys><thead><tr>
            <th scope="col">${a.id}</th><th scope="col">${a.origin}</th><th scope="col">${a.state}</th><th scope="col">${a.createdAt}</th><th scope="col">${a.expiresAt}</th><th scope="col">${a.revokedAt}</th><th scope="col">${a.lastUsed}</th><th scope="col"><span class="visually-hidden">${a.actions}</span></th></tr></thead>
          <tbody>${keys.map((k) => html`<tr data-key-id="${k.id}" data-key-state="${k.state}"><td><code>${k.id}</code></td><td>${a.origins[k.origin] ?? k.origin}</td>
            <td><span class="status ${k.state === 'active' ? 's-approuvee' : k.state === 'expiring' ? '' : 's-en_erreur'}">${a.keyStates[k.state]}</span></td>
            <td>${when(k.createdAt, c.lang)}</td><td>${when(k.expiresAt, c.lang)}</td><td>${when(k.revokedAt, c.lang)}</td><td>${when(k.lastUsedAt, c.lang)}</td>
            <td>${k.state === 'active' || k.state === 'expiring' ? html`<form method="post" action="${base}/keys/${k.id}/revoke" class="inline">${csrf}<button type="submit" class="secondary">${a.revoke}<span class="visually-hidden"> ${k.id}</span></button></form>` : ''}</td></tr>`)}</tbody></table></div>
          <div class="actions key-actions">
            <form method="post" action="${base}/keys" class="stack">${csrf}<input type="hidden" name="mode" value="issue"><button type="submit" data-issue>${a.issueKey}</button><p class="hint">${a.issueHint}</p></form>
            <form method="post" action="${base}/keys" class="stack">${csrf}<input type="hidden" name="mode" value="rotate"><button type="submit" class="secondary" data-rotate>${a.rotateKeys}</button><p class="hint">${a.rotateHint(graceHours)}</p></form>
          </div>
        </section>`,
    })
  }

  r.get('/admin/partners/:id', signedIn, operatorOnly, (req, res) => partnerPage(req, res, String(req.params.id)))

  r.post('/admin/partners/:id/sellers', signedIn, operatorOnly, sellersForm, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const a = am(req)
    const id = String(req.params.id)
    const partner = await findPrincipal(db, id)
    if (!partner) return partnerPage(req, res, id)
    const typed = field(req, 'sellers')
    const before = (await bindings(db, partner.id)).sellers
    const outcome = await setSellers(db, log, partner.id, { sellers: listOf(typed) })
    if (!outcome.ok) return partnerPage(req, res, id, { notice: { kind: 'error', text: a.sellersRefused(outcome.problem.detail) }, status: outcome.problem.status, sellersDraft: typed })
    await recordAction(db, c, 'operator.partner.sellers', 'ok', { partnerId: partner.id, partner: partner.name, before, sellers: outcome.value.sellers })
    log.info({ partnerId: partner.id, sellers: outcome.value.sellers.length, personId: c.person!.id }, 'partner sellers set by an operator in the portal')
    // The same list again changes nothing (a replacement), so the answer can be the page itself.
    await partnerPage(req, res, id, { notice: { kind: 'ok', text: a.sellersSet(outcome.value.sellers.length) } })
  })

  r.post('/admin/partners/:id/keys', signedIn, operatorOnly, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const a = am(req)
    const partner = await findPrincipal(db, String(req.params.id))
    if (!partner) return partnerPage(req, res, String(req.params.id))
    const mode = field(req, 'mode') === 'rotate' ? 'rotate' : 'issue'
    const made = await inTransaction(db, async (tx) => (mode === 'rotate'
      ? rotateKeys(tx, partner.id, config.keyRotationGraceSeconds)
      : { ...(await issueKey(tx, partner.id, 'issued')), replaced: [] as { id: string; expiresAt: string }[] }))
    await recordAction(db, c, mode === 'rotate' ? 'operator.key.rotated' : 'operator.key.issued', 'ok', { partnerId: partner.id, partner: partner.name, keyId: made.id, replaced: made.replaced })
    log.info({ partnerId: partner.id, keyId: made.id, replaced: made.replaced, personId: c.person!.id }, mode === 'rotate' ? 'API keys rotated by an operator in the portal' : 'API key issued by an operator in the portal')
    await partnerPage(req, res, partner.id, {
      shown: keyShown(a, partner.name, made.id, made.apiKey, made.replaced.length > 0 ? html`<p>${a.replacedKeys(made.replaced.length, when(made.replaced[0]!.expiresAt, c.lang))}</p>` : ''),
    })
  })

  r.post('/admin/partners/:id/keys/:keyId/revoke', signedIn, operatorOnly, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const a = am(req)
    const partner = await findPrincipal(db, String(req.params.id))
    if (!partner) return partnerPage(req, res, String(req.params.id))
    const keyId = String(req.params.keyId)
    const outcome = /^[0-9a-f-]{36}$/i.test(keyId) ? await inTransaction(db, (tx) => revokeKey(tx, partner.id, keyId)) : { outcome: 'not-found' as const }
    if (outcome.outcome === 'not-found') return partnerPage(req, res, partner.id, { notice: { kind: 'error', text: a.noSuchKey }, status: 404 })
    if (outcome.outcome === 'last-admin-key') return partnerPage(req, res, partner.id, { notice: { kind: 'error', text: a.lastAdminKey }, status: 409 })
    await recordAction(db, c, 'operator.key.revoked', 'ok', { partnerId: partner.id, partner: partner.name, keyId })
    log.info({ partnerId: partner.id, keyId, personId: c.person!.id }, 'API key revoked by an operator in the portal')
    res.redirect(303, `${sectionPath.partners}/${partner.id}?revoked=${keyId}`)
  })
}
