// A structure's people, managed as in Chorus Pro: the principal manager gives any role and resets anyone's access;
// a secondary manager adds and resets users. A new person, or one who lost their password or phone, gets a one-use
// setup link from their manager: the only way back in (no email reset, no security questions). Every change is
// recorded in portal_events.
import express, { type Request, type Response, type Router } from 'express'
import { html, hidden } from './html.js'
import { csrfChecked, ctx, field, render, signedIn, type Ctx, type PortalDeps } from './context.js'
import {
  addMembership, clearFactors, ensurePerson, isEmail, membersOf, newSetupLink, personById, record, removeMembership, roles, type Membership, type Role,
} from './people.js'
import { endSessionsOf } from './sessions.js'
import { inTransaction } from '../../kit/db.js'
import { settingsMessages } from './settings-i18n.js'

const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 })
const SETUP_HOURS = 72

/** The roles `manager` may give (and the people it may reset): the principal any, a secondary manager users only. */
export const mayGive = (manager: Role): Role[] => (manager === 'principal' ? [...roles] : manager === 'secondary' ? ['user'] : [])

/** The link shown once to whoever made it. */
export const setupUrl = (req: Request, tokenValue: string) => `${ctx(req).origin}/portal/setup/${tokenValue}`

/** The person's membership of `siret` as one of its managers (principal or secondary), or null. */
export const managed = (c: Ctx, siret: string): Membership | null => c.memberships.find((m) => m.siret === siret && m.role !== 'user') ?? null

export function structureRoutes(r: Router, deps: PortalDeps) {
  const { db, log } = deps

  r.get('/structures', signedIn, (req, res) => {
    const c = ctx(req)
    const { t } = c
    render(req, res, {
      title: t.yourStructures, current: 'structures',
      body: html`<ul class="cards">${c.memberships.map((m) => html`<li><strong>${m.structureName ?? m.partnerName}</strong> · ${m.siret}<br>
        ${t.roles[m.role]} · ${m.receives ? t.receives : t.sends}
        ${m.role !== 'user' ? html`<br><a href="/portal/structures/${m.siret}">${t.membersTitle(m.structureName ?? m.siret)}</a>
          · <a href="/portal/structures/${m.siret}/settings">${settingsMessages[c.lang].title(m.structureName ?? m.siret)}</a>` : ''}</li>`)}</ul>`,
    })
  })

  const membersPage = async (req: Request, res: Response, m: Membership, notice: { kind: 'ok' | 'error'; text: string } | null = null, extra: ReturnType<typeof html> | null = null, status = 200) => {
    const c = ctx(req)
    const { t } = c
    const members = await membersOf(db, m.partnerId, m.siret)
    const giveable = mayGive(m.role)
    render(req, res, {
      title: t.membersTitle(m.structureName ?? m.partnerName), current: 'structures', notice, status,
      body: html`${extra ?? ''}
        <p><a href="/portal/structures/${m.siret}/settings">${settingsMessages[c.lang].title(m.structureName ?? m.partnerName)}</a></p>
        <div class="table" tabindex="0" role="region" aria-labelledby="main-h"><table><thead><tr><th scope="col">${t.name}</th><th scope="col">${t.email}</th><th scope="col">${t.role}</th><th scope="col">${t.factor}</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${members.map((p) => html`<tr data-person="${p.email}"><td>${p.name}</td><td>${p.email}</td><td>${t.roles[p.role]}</td><td>${p.enrolled ? t.enrolled : t.notEnrolled}</td>
          <td>${giveable.includes(p.role) && p.id !== c.person!.id ? html`
            <form method="post" action="/portal/structures/${m.siret}/members/${p.id}/reset" class="inline">${hidden({ _csrf: c.session!.csrf })}<button type="submit" class="secondary">${t.resetAccess}</button></form>
            <form method="post" action="/portal/structures/${m.siret}/members/${p.id}/remove" class="inline">${hidden({ _csrf: c.session!.csrf })}<button type="submit" class="secondary">${t.remove}</button></form>` : ''}</td></tr>`)}</tbody></table></div>
        <section aria-labelledby="add-h"><h2 id="add-h">${t.addPerson}</h2>
          <form method="post" action="/portal/structures/${m.siret}/members" class="stack narrow">
            ${hidden({ _csrf: c.session!.csrf })}
            <label for="p-name">${t.name}</label><input id="p-name" name="name" required maxlength="200" autocomplete="off">
            <label for="p-email">${t.email}</label><input id="p-email" name="email" type="email" required maxlength="254" autocomplete="off">
            <label for="p-role">${t.role}</label><select id="p-role" name="role">${giveable.slice().reverse().map((role) => html`<option value="${role}">${t.roles[role]}</option>`)}</select>
            <button type="submit">${t.add}</button>
          </form></section>`,
    })
  }

  r.get('/structures/:siret', signedIn, async (req, res) => {
    const c = ctx(req)
    const m = managed(c, String(req.params.siret))
    if (!m) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    await membersPage(req, res, m)
  })

  r.post('/structures/:siret/members', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const m = managed(c, String(req.params.siret))
    if (!m) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    const email = field(req, 'email').toLowerCase()
    const name = field(req, 'name').slice(0, 200)
    const role = field(req, 'role') as Role
    if (!isEmail(email)) return membersPage(req, res, m, { kind: 'error', text: c.t.invalidEmail }, null, 400)
    if (!name) return membersPage(req, res, m, { kind: 'error', text: c.t.nameRequired }, null, 400)
    if (!mayGive(m.role).includes(role)) return membersPage(req, res, m, { kind: 'error', text: c.t.cannotManage }, null, 403)
    const outcome = await inTransaction(db, async (tx) => {
      const person = await ensurePerson(tx, { email, name })
      await addMembership(tx, { personId: person.id, partnerId: m.partnerId, siret: m.siret, role, addedBy: c.person!.id })
      await record(tx, { kind: 'membership.added', outcome: 'ok', personId: person.id, email, actorId: c.person!.id, address: c.address, detail: { siret: m.siret, role } })
      // A new person needs a way in; someone who already has an account uses it.
      const link = person.created ? await newSetupLink(tx, person.id, c.person!.id, SETUP_HOURS) : null
      return { person, link }
    })
    log.info({ personId: outcome.person.id, siret: m.siret, role, by: c.person!.id, created: outcome.person.created }, 'portal: member added')
    await membersPage(req, res, m, null, outcome.link ? setupBox(c, req, name, outcome.link, false) : null)
  })

  /** The member `personId` of the structure, if this manager may act on them (role within reach, not themselves). */
  const target = async (c: Ctx, m: Membership, personId: string) => {
    if (!/^[0-9a-f-]{36}$/.test(personId) || personId === c.person!.id) return null
    const member = (await membersOf(db, m.partnerId, m.siret)).find((p) => p.id === personId)
    if (!member || !mayGive(m.role).includes(member.role)) return null
    const person = await personById(db, personId)
    // A structure manager never resets an operator of the hub: only another operator can.
    if (!person || (person.operator && !c.person!.operator)) return null
    return { member, person }
  }

  r.post('/structures/:siret/members/:personId/reset', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const m = managed(c, String(req.params.siret))
    const found = m ? await target(c, m, String(req.params.personId)) : null
    if (!m || !found) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    const link = await inTransaction(db, async (tx) => {
      // The old password and factors stop working now: whoever holds them (a thief) is out.
      await tx.query('UPDATE people SET password_hash = NULL WHERE id = $1', [found.person.id])
      await clearFactors(tx, found.person.id)
      await record(tx, { kind: 'access.reset', outcome: 'ok', personId: found.person.id, email: found.person.email, actorId: c.person!.id, address: c.address, detail: { siret: m.siret } })
      return newSetupLink(tx, found.person.id, c.person!.id, SETUP_HOURS)
    })
    await endSessionsOf(db, found.person.id)
    log.info({ personId: found.person.id, by: c.person!.id }, 'portal: access reset by a manager')
    await membersPage(req, res, m, null, setupBox(c, req, found.person.name, link, true))
  })

  r.post('/structures/:siret/members/:personId/remove', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const m = managed(c, String(req.params.siret))
    const found = m ? await target(c, m, String(req.params.personId)) : null
    if (!m || !found) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    if (found.member.role === 'principal') {
      const principals = (await membersOf(db, m.partnerId, m.siret)).filter((p) => p.role === 'principal').length
      if (principals <= 1) return membersPage(req, res, m, { kind: 'error', text: c.t.lastPrincipal }, null, 409)
    }
    await removeMembership(db, { personId: found.person.id, partnerId: m.partnerId, siret: m.siret })
    await record(db, { kind: 'membership.removed', outcome: 'ok', personId: found.person.id, email: found.person.email, actorId: c.person!.id, address: c.address, detail: { siret: m.siret } })
    await membersPage(req, res, m, { kind: 'ok', text: c.t.memberRemoved })
  })
}

export function setupBox(c: Ctx, req: Request, name: string, tokenValue: string, reset: boolean) {
  const { t } = c
  return html`<section class="notice ok" aria-labelledby="setup-h"><h2 id="setup-h">${t.setupLinkFor(name)}</h2>
    <p>${reset ? t.setupLinkGive(SETUP_HOURS) : t.setupLinkNew(SETUP_HOURS)}</p>
    <p><code class="setup-link" data-setup-link>${setupUrl(req, tokenValue)}</code></p></section>`
}
