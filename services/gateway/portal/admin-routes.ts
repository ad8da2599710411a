// The operator's pages. Here: the people of the portal with their structures, and giving a structure its first
// principal manager (a setup link, as managers give); and the registration of the other operator pages, each on the
// functions of the admin API it mirrors: health and metrics (admin-health.ts), partners and their keys
// (admin-partners.ts), the directory import (admin-directory.ts), dead letters and deliveries with their replay
// (admin-operations.ts). They share a sub-navigation and the record of operator actions (admin-frame.ts).
import express, { type Request, type Response, type Router } from 'express'
import { html, hidden } from './html.js'
import { csrfChecked, ctx, field, operatorOnly, signedIn } from './context.js'
import { operatorPage, type AdminDeps } from './admin-frame.js'
import { healthRoutes } from './admin-health.js'
import { operationsRoutes } from './admin-operations.js'
import { directoryRoutes } from './admin-directory.js'
import { partnerRoutes } from './admin-partners.js'
import { addMembership, ensurePerson, isEmail, newSetupLink, record, roles, structuresOfPartner, type Role } from './people.js'
import { setupBox } from './structure-routes.js'
import { inTransaction } from '../../kit/db.js'

const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 })

export function adminRoutes(r: Router, deps: AdminDeps) {
  const { db, log } = deps

  const adminPage = async (req: Request, res: Response, notice: { kind: 'ok' | 'error'; text: string } | null = null, extra: ReturnType<typeof html> | null = null, status = 200) => {
    const c = ctx(req)
    const { t } = c
    const partners = (await db.query<{ id: string; name: string }>(`SELECT id, name FROM partners WHERE role = 'partner' ORDER BY name`)).rows
    const people = (await db.query<{ email: string; name: string; operator: boolean; enrolled: boolean; places: string[] | null }>(
      `SELECT p.email, p.name, p.operator, p.totp_secret IS NOT NULL AS enrolled,
              array_agg(pa.name || ' · ' || m.siret || ' · ' || m.role ORDER BY pa.name, m.siret) FILTER (WHERE m.siret IS NOT NULL) AS places
         FROM people p LEFT JOIN memberships m ON m.person_id = p.id LEFT JOIN partners pa ON pa.id = m.partner_id
        GROUP BY p.id ORDER BY p.email`)).rows
    const structures = await Promise.all(partners.map(async (p) => ({ ...p, sirets: await structuresOfPartner(db, p.id) })))
    operatorPage(req, res, {
      section: 'people', notice, status,
      body: html`${extra ?? ''}
        <section aria-labelledby="people-h"><h2 id="people-h">${t.people}</h2>
          <div class="table" tabindex="0" role="region" aria-labelledby="people-h"><table><thead><tr><th scope="col">${t.email}</th><th scope="col">${t.name}</th><th scope="col">${t.factor}</th><th scope="col">${t.yourStructures}</th></tr></thead>
          <tbody>${people.map((p) => html`<tr><td>${p.email}${p.operator ? html` (${t.operatorFlag})` : ''}</td><td>${p.name}</td><td>${p.enrolled ? t.enrolled : t.notEnrolled}</td>
            <td>${(p.places ?? []).map((pl) => html`<div>${pl}</div>`)}</td></tr>`)}</tbody></table></div></section>
        <section aria-labelledby="add-h"><h2 id="add-h">${t.addPerson}</h2>
          <form method="post" action="/portal/admin/people" class="stack narrow">
            ${hidden({ _csrf: c.session!.csrf })}
            <label for="a-structure">${t.structure}</label>
            <select id="a-structure" name="structure">${structures.flatMap((p) => p.sirets.map((s) => html`<option value="${p.id}:${s}">${p.name} · ${s}</option>`))}</select>
            <label for="a-role">${t.role}</label><select id="a-role" name="role">${roles.map((role) => html`<option value="${role}">${t.roles[role]}</option>`)}</select>
            <label for="a-name">${t.name}</label><input id="a-name" name="name" required maxlength="200" autocomplete="off">
            <label for="a-email">${t.email}</label><input id="a-email" name="email" type="email" required maxlength="254" autocomplete="off">
            <button type="submit">${t.add}</button>
          </form></section>`,
    })
  }

  r.get('/admin', signedIn, operatorOnly, (req, res) => adminPage(req, res))
  healthRoutes(r, deps)
  partnerRoutes(r, deps)
  directoryRoutes(r, deps)
  operationsRoutes(r, deps)

  r.post('/admin/people', signedIn, operatorOnly, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const [partnerId, siret] = field(req, 'structure').split(':')
    const email = field(req, 'email').toLowerCase()
    const name = field(req, 'name').slice(0, 200)
    const role = field(req, 'role') as Role
    if (!isEmail(email)) return adminPage(req, res, { kind: 'error', text: c.t.invalidEmail }, null, 400)
    if (!name) return adminPage(req, res, { kind: 'error', text: c.t.nameRequired }, null, 400)
    if (!roles.includes(role) || !partnerId || !/^[0-9a-f-]{36}$/.test(partnerId) || !siret || !(await structuresOfPartner(db, partnerId)).includes(siret)) {
      return adminPage(req, res, { kind: 'error', text: c.t.siretInvalid }, null, 400)
    }
    const outcome = await inTransaction(db, async (tx) => {
      const person = await ensurePerson(tx, { email, name })
      await addMembership(tx, { personId: person.id, partnerId, siret, role, addedBy: c.person!.id })
      await record(tx, { kind: 'membership.added', outcome: 'ok', personId: person.id, email, actorId: c.person!.id, address: c.address, detail: { siret, role, by: 'operator' } })
      return { person, link: person.created ? await newSetupLink(tx, person.id, c.person!.id, 72) : null }
    })
    log.info({ personId: outcome.person.id, siret, role, by: c.person!.id }, 'portal: person added by the operator')
    await adminPage(req, res, null, outcome.link ? setupBox(c, req, name, outcome.link, false) : null)
  })
}
