// The operator's partners: each API principal with the addresses it receives at and sends from and the sellers it
// is bound to (seller-routes.ts bindings), and its API keys (api-keys.ts: listKeys, issueKey, rotateKeys,
// revokeKey, as the admin API's /v1/partners/{id}/keys). A new key is shown once, on the answer to the form that
// made it, and never stored but as its hash; issuing, rotating and revoking are recorded in portal_events
// (operator.key.*, the key's id, never the key) and logged.
import type { Request, Response, Router } from 'express'
import { html, hidden, type Html } from './html.js'
import { csrfChecked, ctx, operatorOnly, signedIn } from './context.js'
import { am, count, field, form, one, operatorPage, recordAction, sectionPath, when, type AdminDeps } from './admin-frame.js'
import type { Notice } from './layout.js'
import { inTransaction } from '../../kit/db.js'
import { issueKey, listKeys, revokeKey, rotateKeys } from '../api-keys.js'
import { findPrincipal } from '../key-routes.js'
import { bindings } from '../seller-routes.js'

const SHOWN = 5
const LIMIT = 500

export function partnerRoutes(r: Router, deps: AdminDeps) {
  const { db, log, config } = deps
  const graceHours = Math.round((config.keyRotationGraceSeconds / 3600) * 10) / 10

  r.get('/admin/partners', signedIn, operatorOnly, async (req, res) => {
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
      section: 'partners',
      body: html`<p class="hint">${a.partnersHint}</p>
        <form method="get" action="${sectionPath.partners}" class="filters" aria-label="${a.filters}">
          <div class="field"><label for="f-q">${a.nameOrAddress}</label><input id="f-q" name="q" value="${q}" maxlength="200" autocomplete="off"></div>
          <div class="field"><button type="submit">${a.filter}</button></div>
        </form>
        <section aria-labelledby="partners-h"><h2 id="partners-h">${a.partnersListed(rows.length, LIMIT)}</h2>
        <div class="table" tabindex="0" role="region" aria-labelledby="partners-h"><table><thead><tr>
          <th scope="col">${a.name}</th><th scope="col">${a.role}</th><th scope="col">${a.addresses}</th><th scope="col">${a.sellers}</th><th scope="col" class="num">${a.workingKeys}</th></tr></thead>
        <tbody>${rows.map((p) => html`<tr data-partner="${p.id}"><td><a href="${sectionPath.partners}/${p.id}">${p.name}</a></td><td>${a.roles[p.role] ?? p.role}</td>
          <td>${some(p.addresses)}</td><td>${some(p.sellers)}</td><td class="num" data-working-keys="${p.working_keys}">${count(p.working_keys, c.lang)}</td></tr>`)}</tbody></table></div></section>`,
    })
  })

  const partnerPage = async (req: Request, res: Response, p: { notice?: Notice; status?: number; shown?: Html } = {}) => {
    const c = ctx(req)
    const a = am(req)
    const partner = await findPrincipal(db, String(req.params.id))
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
          <p class="hint">${a.sellersHint}</p></section>
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

  r.get('/admin/partners/:id', signedIn, operatorOnly, (req, res) => partnerPage(req, res))

  r.post('/admin/partners/:id/keys', signedIn, operatorOnly, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const a = am(req)
    const partner = await findPrincipal(db, String(req.params.id))
    if (!partner) return partnerPage(req, res)
    const mode = field(req, 'mode') === 'rotate' ? 'rotate' : 'issue'
    const made = await inTransaction(db, async (tx) => (mode === 'rotate'
      ? rotateKeys(tx, partner.id, config.keyRotationGraceSeconds)
      : { ...(await issueKey(tx, partner.id, 'issued')), replaced: [] as { id: string; expiresAt: string }[] }))
    await recordAction(db, c, mode === 'rotate' ? 'operator.key.rotated' : 'operator.key.issued', 'ok', { partnerId: partner.id, partner: partner.name, keyId: made.id, replaced: made.replaced })
    log.info({ partnerId: partner.id, keyId: made.id, replaced: made.replaced, personId: c.person!.id }, mode === 'rotate' ? 'API keys rotated by an operator in the portal' : 'API key issued by an operator in the portal')
    await partnerPage(req, res, {
      shown: html`<section class="notice ok" aria-labelledby="new-key-h" data-new-key><h2 id="new-key-h">${a.newKeyTitle(partner.name)}</h2>
        <p>${a.newKeyOnce}</p><p><code class="setup-link" data-api-key data-key-id="${made.id}">${made.apiKey}</code></p>
        ${made.replaced.length > 0 ? html`<p>${a.replacedKeys(made.replaced.length, when(made.replaced[0]!.expiresAt, c.lang))}</p>` : ''}</section>`,
    })
  })

  r.post('/admin/partners/:id/keys/:keyId/revoke', signedIn, operatorOnly, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const a = am(req)
    const partner = await findPrincipal(db, String(req.params.id))
    if (!partner) return partnerPage(req, res)
    const keyId = String(req.params.keyId)
    const outcome = /^[0-9a-f-]{36}$/i.test(keyId) ? await inTransaction(db, (tx) => revokeKey(tx, partner.id, keyId)) : { outcome: 'not-found' as const }
    if (outcome.outcome === 'not-found') return partnerPage(req, res, { notice: { kind: 'error', text: a.noSuchKey }, status: 404 })
    if (outcome.outcome === 'last-admin-key') return partnerPage(req, res, { notice: { kind: 'error', text: a.lastAdminKey }, status: 409 })
    await recordAction(db, c, 'operator.key.revoked', 'ok', { partnerId: partner.id, partner: partner.name, keyId })
    log.info({ partnerId: partner.id, keyId, personId: c.person!.id }, 'API key revoked by an operator in the portal')
    res.redirect(303, `${sectionPath.partners}/${partner.id}?revoked=${keyId}`)
  })
}
