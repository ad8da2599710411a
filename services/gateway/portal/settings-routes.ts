// A structure's settings, as its managers keep them in Chorus Pro: for a public structure, the flags routing applies
// (service required, commitment number required, payment status managed) and its services; for any structure, the
// Chorus Pro API's technical accounts bound to it. The principal manager changes the flags and the accounts; a
// secondary manager the services. The same stores as the admin API (directory-store.ts, cpro-accounts.ts); every
// change in portal_events.
import express, { type Request, type Response, type Router } from 'express'
import { html, hidden, type Html } from './html.js'
import { csrfChecked, ctx, field, render, signedIn, type Ctx, type PortalDeps } from './context.js'
import { record, type Membership } from './people.js'
import { managed } from './structure-routes.js'
import { settingsMessages } from './settings-i18n.js'
import { getStructure, upsertStructures } from '../directory-store.js'
import { createAccount, listAccounts, resetPassword } from '../cpro-accounts.js'
import { inTransaction } from '../../kit/db.js'

const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 })
const checked = (req: Request, name: string) => field(req, name) === 'on'
const SERVICE_CODE = /^[A-Za-z0-9_./-]{1,100}$/

export function settingsRoutes(r: Router, deps: PortalDeps) {
  const { db, log } = deps

  const page = async (req: Request, res: Response, m: Membership, notice: { kind: 'ok' | 'error'; text: string } | null = null, shown: Html | null = null, status = 200) => {
    const c = ctx(req)
    const t = settingsMessages[c.lang]
    const structure = await getStructure(db, m.siret)
    const accounts = m.role === 'principal' ? (await listAccounts(db, m.partnerId)).filter((a) => a.structures.includes(m.siret)) : []
    const principal = m.role === 'principal'
    const yes = (b: boolean) => (b ? t.yes : t.no)
    const date = (d: Date) => d.toLocaleDateString(c.lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris' })
    render(req, res, {
      title: t.title(structure?.name ?? m.structureName ?? m.partnerName), current: 'structures', notice, status,
      body: html`${shown ?? ''}
        ${structure ? html`<section aria-labelledby="flags-h"><h2 id="flags-h">${t.flags}</h2>
          ${principal ? html`<form method="post" action="/portal/structures/${m.siret}/settings" class="stack narrow">
              ${hidden({ _csrf: c.session!.csrf })}
              ${(['serviceRequired', 'commitmentRequired', 'paymentStatusManaged'] as const).map((k) => html`<div class="check">
                <input type="checkbox" id="flag-${k}" name="${k}"${structure[k] ? html` checked` : ''}><label for="flag-${k}">${t[k]}</label></div>`)}
              <button type="submit">${t.save}</button></form>`
            : html`<dl class="facts">${(['serviceRequired', 'commitmentRequired', 'paymentStatusManaged'] as const).map((k) => html`<dt>${t[k]}</dt><dd>${yes(structure[k])}</dd>`)}</dl>`}
        </section>
        <section aria-labelledby="services-h"><h2 id="services-h">${t.services}</h2>
          ${structure.services.length === 0 ? html`<p>${t.noServices}</p>` : html`<div class="table" tabindex="0" role="region" aria-labelledby="services-h"><table>
            <thead><tr><th scope="col">${t.code}</th><th scope="col">${t.name}</th><th scope="col">${t.active}</th><th scope="col">${t.serviceCommitment}</th></tr></thead>
            <tbody>${structure.services.map((s) => html`<tr data-service="${s.code}"><td><code>${s.code}</code></td><td>${s.name}</td><td>${yes(s.active)}</td><td>${yes(s.commitmentRequired)}</td></tr>`)}</tbody></table></div>`}
          <h3>${t.addService}</h3>
          <form method="post" action="/portal/structures/${m.siret}/services" class="stack narrow">
            ${hidden({ _csrf: c.session!.csrf })}
            <label for="s-code">${t.code}</label><input id="s-code" name="code" required maxlength="100" pattern="[A-Za-z0-9_./\\-]{1,100}" aria-describedby="s-code-hint">
            <p class="hint" id="s-code-hint">${t.codeHint}</p>
            <label for="s-name">${t.name}</label><input id="s-name" name="name" required maxlength="200">
            <div class="check"><input type="checkbox" id="s-active" name="active" checked><label for="s-active">${t.active}</label></div>
            <div class="check"><input type="checkbox" id="s-commitment" name="commitmentRequired"><label for="s-commitment">${t.serviceCommitment}</label></div>
            <button type="submit">${t.saveService}</button>
          </form></section>` : html`<p>${t.notPublic}</p>`}
        ${principal ? html`<section aria-labelledby="accounts-h"><h2 id="accounts-h">${t.accounts}</h2>
          <p>${t.accountsHelp}</p>
          ${accounts.length === 0 ? html`<p>${t.noAccounts}</p>` : html`<div class="table" tabindex="0" role="region" aria-labelledby="accounts-h"><table>
            <thead><tr><th scope="col">${t.login}</th><th scope="col">${t.expires}</th><th scope="col"><span class="visually-hidden">${t.actions}</span></th></tr></thead>
            <tbody>${accounts.map((a) => html`<tr data-account="${a.login}"><td><code>${a.login}</code>${a.disabled ? html` (${t.disabled})` : ''}</td><td>${date(a.passwordExpiresAt)}</td>
              <td><form method="post" action="/portal/structures/${m.siret}/accounts/${encodeURIComponent(a.login)}/password" class="inline">${hidden({ _csrf: c.session!.csrf })}<button type="submit" class="secondary">${t.newPassword}</button></form></td></tr>`)}</tbody></table></div>`}
          <form method="post" action="/portal/structures/${m.siret}/accounts">${hidden({ _csrf: c.session!.csrf })}<button type="submit">${t.createAccount}</button></form>
        </section>` : ''}`,
    })
  }

  const shownSecret = (c: Ctx, login: string, password: string) => {
    const t = settingsMessages[c.lang]
    return html`<section class="notice ok" aria-labelledby="secret-h"><h2 id="secret-h">${t.accountShown(login)}</h2>
      <p>${t.passwordOnce}</p><p><code data-account-login>${login}</code> · <code data-account-password>${password}</code></p></section>`
  }

  r.get('/structures/:siret/settings', signedIn, async (req, res) => {
    const c = ctx(req)
    const m = managed(c, String(req.params.siret))
    if (!m) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    await page(req, res, m)
  })

  r.post('/structures/:siret/settings', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const t = settingsMessages[c.lang]
    const m = managed(c, String(req.params.siret))
    const structure = m ? await getStructure(db, m.siret) : null
    if (!m || !structure) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    if (m.role !== 'principal') return page(req, res, m, { kind: 'error', text: t.principalOnly }, null, 403)
    const flags = { serviceRequired: checked(req, 'serviceRequired'), commitmentRequired: checked(req, 'commitmentRequired'), paymentStatusManaged: checked(req, 'paymentStatusManaged') }
    await inTransaction(db, async (tx) => {
      await upsertStructures(tx, [{ ...structure, ...flags }])
      await record(tx, { kind: 'structure.settings', outcome: 'ok', personId: c.person!.id, email: c.person!.email, actorId: c.person!.id, address: c.address, detail: { siret: m.siret, ...flags } })
    })
    log.info({ siret: m.siret, ...flags, personId: c.person!.id }, 'portal: structure settings changed')
    await page(req, res, m, { kind: 'ok', text: t.saved })
  })

  r.post('/structures/:siret/services', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const t = settingsMessages[c.lang]
    const m = managed(c, String(req.params.siret))
    const structure = m ? await getStructure(db, m.siret) : null
    if (!m || !structure) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    const service = { code: field(req, 'code'), name: field(req, 'name').slice(0, 200), active: checked(req, 'active'), commitmentRequired: checked(req, 'commitmentRequired') }
    if (!SERVICE_CODE.test(service.code) || !service.name) return page(req, res, m, { kind: 'error', text: t.badService }, null, 400)
    // A code already there is updated (its name and flags): that is how a service is closed or reopened.
    const services = [...structure.services.filter((s) => s.code !== service.code), service]
    await inTransaction(db, async (tx) => {
      await upsertStructures(tx, [{ ...structure, services }])
      await record(tx, { kind: 'structure.service', outcome: 'ok', personId: c.person!.id, email: c.person!.email, actorId: c.person!.id, address: c.address, detail: { siret: m.siret, ...service } })
    })
    log.info({ siret: m.siret, service: service.code, personId: c.person!.id }, 'portal: structure service saved')
    await page(req, res, m, { kind: 'ok', text: t.serviceSaved(service.code) })
  })

  r.post('/structures/:siret/accounts', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const t = settingsMessages[c.lang]
    const m = managed(c, String(req.params.siret))
    if (!m) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    if (m.role !== 'principal') return page(req, res, m, { kind: 'error', text: t.principalOnly }, null, 403)
    const made = await createAccount(db, m.partnerId, { structures: [m.siret] })
    if (!made.ok) return page(req, res, m, { kind: 'error', text: made.problem }, null, 400)
    await record(db, { kind: 'cpro.account.created', outcome: 'ok', personId: c.person!.id, email: c.person!.email, actorId: c.person!.id, address: c.address, detail: { siret: m.siret, login: made.account.login } })
    log.info({ siret: m.siret, login: made.account.login, personId: c.person!.id }, 'portal: technical account created')
    await page(req, res, m, null, shownSecret(c, made.account.login, made.password))
  })

  r.post('/structures/:siret/accounts/:login/password', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const t = settingsMessages[c.lang]
    const m = managed(c, String(req.params.siret))
    if (!m) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    if (m.role !== 'principal') return page(req, res, m, { kind: 'error', text: t.principalOnly }, null, 403)
    const login = String(req.params.login)
    // Only an account of this partner bound to this structure.
    const bound = (await listAccounts(db, m.partnerId)).some((a) => a.login === login && a.structures.includes(m.siret))
    const reset = bound ? await resetPassword(db, m.partnerId, login) : null
    if (!reset) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    await record(db, { kind: 'cpro.account.password', outcome: 'ok', personId: c.person!.id, email: c.person!.email, actorId: c.person!.id, address: c.address, detail: { siret: m.siret, login } })
    await page(req, res, m, null, shownSecret(c, login, reset.password))
  })
}
