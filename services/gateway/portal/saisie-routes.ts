// The "saisie" page (GET and POST /portal/saisie): a supplier types a simple invoice; the hub builds its CII
// (saisie.ts), or a Factur-X PDF around it (pdf/facturx-out.ts), and stores it exactly as a deposit
// (store-deposit.ts, with its portal_deposits row in the same transaction), so that it is parsed, validated and
// routed like any other document. The page works without JavaScript: a first button checks and computes the
// totals, a second sends; a refused form comes back with each field's message beside it and what was typed.
import express, { type Request, type Response, type Router } from 'express'
import { createHash, randomUUID } from 'node:crypto'
import { html, hidden, type Html } from './html.js'
import { csrfChecked, ctx, render, signedIn, type Ctx, type PortalDeps } from './context.js'
import type { Membership } from './people.js'
import {
  buildCii, fieldNames, fileNameOf, lineField, lineIsEmpty, maxLines, mentionDefaults, outputs, parseSaisie, rates, todayInFrance, typeCodes, unitCodes,
  type BuyerInDirectory, type Faults, type Invoice, type Values,
} from './saisie.js'
import { getStructure } from '../directory-store.js'
import { saisieMessages, type SaisieMessages } from './saisie-i18n.js'
import { checkDeposit } from '../deposit.js'
import { storeDeposit } from '../store-deposit.js'
import { continueTrace, formatTraceparent } from '../../kit/trace.js'
import { readInvoiceView } from '../../pdf/invoice-view.js'
import { facturXFromCii } from '../../pdf/facturx-out.js'

// The form has some 60 fields (8 lines of 5): more than the other pages' parser allows.
const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 150 })
const FORM_KEY = /^[0-9a-f-]{36}$/
const visibleLines = 3

type State = { values: Values; faults: Faults; computed: Invoice | null; key: string }

export function saisieRoutes(r: Router, deps: PortalDeps) {
  const { db, log, config } = deps
  const limits = { maxBytes: config.maxDocumentBytes, maxDepth: config.maxXmlDepth }
  const sending = (c: Ctx) => c.memberships.filter((m) => m.sends)

  /**
   * The seller's facts from the structure's last typed invoice (name, address, VAT number or the VAT franchise,
   * IBAN): the hub holds none of them otherwise, and a supplier should not retype them each time. Read back with
   * the hub's own invoice reader; what does not read back as this page wrote it is left for the person to type.
   * An invoice of this page without a VAT number (BT-31) was one under the franchise.
   */
  const lastSellerFacts = async (m: Membership): Promise<Values> => {
    const row = (await db.query<{ invoice: Buffer }>(
      `SELECT coalesce(d.business_xml, d.payload) AS invoice FROM portal_deposits p JOIN documents d ON d.id = p.document_id
        WHERE p.partner_id = $1 AND p.siret = $2 AND p.file_name LIKE 'saisie-%' ORDER BY p.deposited_at DESC LIMIT 1`, [m.partnerId, m.siret])).rows[0]
    if (!row) return {}
    const read = readInvoiceView(row.invoice, limits)
    if (!read.ok || read.view.seller.legalId?.value !== m.siret) return {}
    const { seller, payment } = read.view
    const [line, cityLine] = seller.address
    const city = /^([0-9]{5}) (.+)$/.exec(cityLine ?? '')
    return {
      sellerName: seller.name, sellerVat: seller.vatId ?? '', iban: payment.ibans[0] ?? '', ...(seller.vatId ? {} : { franchise: '1' }),
      ...(line && city ? { sellerLine: line, sellerPostcode: city[1]!, sellerCity: city[2]! } : {}),
    }
  }

  const buyerInDirectory = async (siret: string): Promise<BuyerInDirectory> => {
    const structure = await getStructure(db, siret)
    const recipient = structure ? false : (await db.query('SELECT 1 FROM participants WHERE address = $1', [`0009:${siret}`])).rowCount! > 0
    return { structure, recipient }
  }

  const page = (req: Request, res: Response, state: State, status = 200) => {
    const c = ctx(req)
    const structures = sending(c)
    const s = saisieMessages[c.lang]
    render(req, res, {
      title: s.title, current: 'deposit', status,
      body: structures.length === 0 ? html`<p>${s.noStructure}</p>` : saisieForm(c, s, structures, state),
    })
  }

  r.get('/saisie', signedIn, async (req, res) => {
    const c = ctx(req)
    const structures = sending(c)
    const asked = typeof req.query.structure === 'string' ? structures.find((m) => m.siret === req.query.structure) : undefined
    const chosen = asked ?? structures[0]
    const values: Values = {
      structure: chosen?.siret ?? '', issueDate: todayInFrance(), type: '380', output: 'cii', ...mentionDefaults,
      ...(chosen ? await lastSellerFacts(chosen) : {}),
    }
    page(req, res, { values, faults: {}, computed: null, key: randomUUID() })
  })

  r.post('/saisie', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const s = saisieMessages[c.lang]
    const body = req.body as Record<string, unknown>
    const values: Values = {}
    for (const name of fieldNames) if (typeof body[name] === 'string') values[name] = body[name] as string
    const key = typeof body.key === 'string' && FORM_KEY.test(body.key) ? body.key : randomUUID()
    const buyerSiret = (values.buyerSiret ?? '').replace(/\s/g, '')
    const buyer = /^[0-9]{14}$/.test(buyerSiret) ? await buyerInDirectory(buyerSiret) : undefined
    // Left empty, the buyer's name is the directory's: shown in the form as it will be in the invoice.
    if (!values.buyerName?.trim() && buyer?.structure) values.buyerName = buyer.structure.name
    const structures = sending(c)
    const parsed = parseSaisie(values, { structures: structures.map((m) => m.siret), today: todayInFrance(), buyer })
    if (!parsed.ok) return page(req, res, { values, faults: parsed.faults, computed: null, key }, 400)
    if (body.action !== 'send') return page(req, res, { values, faults: {}, computed: parsed.invoice, key })

    const invoice = parsed.invoice
    const membership = structures.find((m) => m.siret === invoice.seller.siret)!
    const cii = Buffer.from(buildCii(invoice), 'utf8')
    let bytes = cii
    let contentType = 'application/xml'
    if (parsed.output === 'facturx') {
      const pdf = await facturXFromCii(cii, { lang: c.lang, limits })
      if (!pdf.ok) {
        log.error({ reason: pdf.reason }, 'portal saisie: no Factur-X from the built CII')
        return render(req, res, { title: s.title, current: 'deposit', body: [], notice: { kind: 'error', text: s.failed }, status: 503 })
      }
      bytes = Buffer.from(pdf.pdf)
      contentType = 'application/pdf'
    }
    const deposit = checkDeposit(bytes, limits, contentType)
    if (!deposit.ok) {
      log.error({ problem: deposit.problem }, 'portal saisie: the built document failed the deposit checks')
      return render(req, res, { title: s.title, current: 'deposit', body: [], notice: { kind: 'error', text: s.failed }, status: 503 })
    }
    const fileName = fileNameOf(invoice, parsed.output)
    try {
      // One form shown, one invoice: the same values sent twice (a double click, a resend) give the same document;
      // changed values a new one (the key carries the invoice's own digest, not the PDF's, which has its date).
      const digest = createHash('sha256').update(cii).digest('hex').slice(0, 16)
      const stored = await storeDeposit(db, config.topicPrefix, {
        partnerId: membership.partnerId, body: bytes, contentType, sha256: deposit.sha256, sizeBytes: deposit.sizeBytes,
        idempotencyKey: `portal:saisie:${key}:${parsed.output}:${digest}`, traceparent: formatTraceparent(continueTrace(undefined)),
      }, async (tx, id) => {
        await tx.query('INSERT INTO portal_deposits (document_id, person_id, partner_id, siret, file_name) VALUES ($1, $2, $3, $4, $5)',
          [id, c.person!.id, membership.partnerId, membership.siret, fileName])
      })
      log.info({ documentId: stored.id, personId: c.person!.id, siret: membership.siret, output: parsed.output, replay: stored.replay }, 'invoice typed in the portal')
      res.redirect(303, `/portal/documents/${stored.id}`)
    } catch (error) {
      log.error({ err: error }, 'portal saisie failed')
      page(req, res, { values, faults: {}, computed: invoice, key }, 503)
    }
  })
}

// ---- the page ----

function saisieForm(c: Ctx, s: SaisieMessages, structures: Membership[], state: State): Html {
  const { values, faults, computed } = state
  const v = (name: string) => values[name] ?? ''
  const describedBy = (name: string, hint: boolean) => [hint ? `s-${name}-hint` : '', faults[name] ? `s-${name}-error` : ''].filter(Boolean).join(' ')
  const invalid = (name: string) => (faults[name] ? html` aria-invalid="true"` : '')
  const described = (name: string, hint: boolean) => { const ids = describedBy(name, hint); return ids ? html` aria-describedby="${ids}"` : '' }
  const label = (name: string, text: string, required: boolean) => html`<label for="s-${name}">${text}${required ? html` <span class="required" aria-hidden="true">${s.required}</span>` : ''}</label>`
  const hintOf = (name: string, hint?: string) => (hint ? html`<p class="hint" id="s-${name}-hint">${hint}</p>` : '')
  const errorOf = (name: string) => (faults[name] ? html`<p class="field-error" id="s-${name}-error">${s.fault(faults[name]!)}</p>` : '')
  type Input = { hint?: string; required?: boolean; type?: string; attrs?: Html; cls?: string }
  const input = (name: string, text: string, o: Input = {}) => html`<div class="field${o.cls ? ` ${o.cls}` : ''}${faults[name] ? ' invalid' : ''}">
      ${label(name, text, o.required ?? false)}${hintOf(name, o.hint)}${errorOf(name)}
      <input id="s-${name}" name="${name}" type="${o.type ?? 'text'}" value="${v(name)}"${o.required ? html` required` : ''}${invalid(name)}${described(name, !!o.hint)}${o.attrs ?? ''}>
    </div>`
  const select = (name: string, text: string, options: { value: string; text: string }[], o: Input = {}) => html`<div class="field${o.cls ? ` ${o.cls}` : ''}${faults[name] ? ' invalid' : ''}">
      ${label(name, text, false)}${hintOf(name, o.hint)}${errorOf(name)}
      <select id="s-${name}" name="${name}"${invalid(name)}${described(name, !!o.hint)}>${options.map((opt) => html`<option value="${opt.value}"${v(name) === opt.value ? html` selected` : ''}>${opt.text}</option>`)}</select>
    </div>`
  const textarea = (name: string, text: string, o: Input & { rows?: number } = {}) => html`<div class="field wide${faults[name] ? ' invalid' : ''}">
      ${label(name, text, o.required ?? false)}${hintOf(name, o.hint)}${errorOf(name)}
      <textarea id="s-${name}" name="${name}" rows="${String(o.rows ?? 2)}"${o.required ? html` required` : ''}${invalid(name)}${described(name, !!o.hint)}${o.attrs ?? ''}>${v(name)}</textarea>
    </div>`
  const franchise = v('franchise') !== ''
  const line = (n: number) => {
    const f = (part: Parameters<typeof lineField>[1]) => lineField(n, part)
    return html`<fieldset class="line" data-line="${n}"><legend>${s.line(n)}</legend>
      ${input(f('desc'), s.description, { cls: 'wide', attrs: html` maxlength="200"` })}
      ${input(f('qty'), s.quantity, { attrs: html` inputmode="decimal" autocomplete="off"` })}
      ${select(f('unit'), s.unit, unitCodes.map((u) => ({ value: u, text: s.units[u] })))}
      ${input(f('price'), s.unitPrice, { attrs: html` inputmode="decimal" autocomplete="off"` })}
      ${select(f('rate'), s.rate, rates.map((r) => ({ value: r, text: s.rates[r] })), { cls: 'vat-only' })}
    </fieldset>`
  }
  const later = Array.from({ length: maxLines - visibleLines }, (_, i) => i + visibleLines + 1)
  const openLater = later.some((n) => !lineIsEmpty(values, n) || Object.keys(faults).some((k) => k.startsWith(`l${n}-`)))
  const faultList = Object.entries(faults)
  const labelOf = (name: string): string => {
    const m = /^l(\d+)-(desc|qty|unit|price|rate)$/.exec(name)
    if (m) return `${s.line(Number(m[1]))} · ${({ desc: s.description, qty: s.quantity, unit: s.unit, price: s.unitPrice, rate: s.rate } as Record<string, string>)[m[2]!]}`
    return name === 'franchise' ? s.franchiseShort : (s as unknown as Record<string, string>)[name] ?? name
  }
  return html`${faultList.length > 0 ? html`<div class="notice error" role="alert" aria-labelledby="faults-h" data-faults>
      <h2 id="faults-h">${s.faultsFound(faultList.length)}</h2>
      <ul>${faultList.map(([name, fault]) => html`<li><a href="#s-${name}">${labelOf(name)}</a>${c.lang === 'fr' ? ' : ' : ': '}${s.fault(fault)}</li>`)}</ul></div>` : ''}
    <p>${s.intro} <a href="/portal/deposit">${s.orUpload}</a></p>
    <form class="saisie" method="post" action="/portal/saisie" novalidate>
      ${hidden({ _csrf: c.session!.csrf, key: state.key })}
      <section aria-labelledby="seller-h"><h2 id="seller-h">${s.sections.seller}</h2><div class="grid">
        ${select('structure', s.structure, structures.map((m) => ({ value: m.siret, text: `${m.structureName ?? m.partnerName} · ${m.siret}` })), { cls: 'wide' })}
        ${input('sellerName', s.sellerName, { required: true, cls: 'wide', attrs: html` maxlength="200" autocomplete="organization"` })}
        ${input('sellerLine', s.sellerLine, { required: true, cls: 'wide', attrs: html` maxlength="200" autocomplete="address-line1"` })}
        ${input('sellerPostcode', s.sellerPostcode, { required: true, attrs: html` inputmode="numeric" maxlength="5" autocomplete="postal-code"` })}
        ${input('sellerCity', s.sellerCity, { required: true, attrs: html` maxlength="100" autocomplete="address-level2"` })}
        <p class="fixed">${s.sellerCountry}</p>
        <div class="field franchise-box${faults.franchise ? ' invalid' : ''}">${errorOf('franchise')}
          <div class="check-row"><input id="s-franchise" name="franchise" type="checkbox" value="1"${franchise ? html` checked` : ''}${invalid('franchise')}${described('franchise', true)}>
          ${label('franchise', s.franchise, false)}</div>${hintOf('franchise', s.franchiseHint)}
        </div>
        ${input('sellerVat', s.sellerVat, { required: true, cls: 'vat-only', hint: s.sellerVatHint, attrs: html` maxlength="20" autocomplete="off" spellcheck="false"` })}
        ${input('iban', s.iban, { hint: s.ibanHint, cls: 'wide', attrs: html` maxlength="42" autocomplete="off" spellcheck="false"` })}
      </div></section>
      <section aria-labelledby="buyer-h"><h2 id="buyer-h">${s.sections.buyer}</h2><div class="grid">
        ${input('buyerSiret', s.buyerSiret, { required: true, hint: s.buyerSiretHint, attrs: html` inputmode="numeric" maxlength="17" autocomplete="off"` })}
        ${input('buyerName', s.buyerName, { hint: s.buyerNameHint, attrs: html` maxlength="200" autocomplete="off"` })}
        ${input('service', s.service, { hint: s.serviceHint, attrs: html` maxlength="100" autocomplete="off"` })}
        ${input('commitment', s.commitment, { hint: s.commitmentHint, attrs: html` maxlength="50" autocomplete="off"` })}
      </div></section>
      <section aria-labelledby="invoice-h"><h2 id="invoice-h">${s.sections.invoice}</h2><div class="grid">
        ${select('type', s.type, typeCodes.map((t) => ({ value: t, text: s.types[t]! })))}
        ${input('number', s.number, { required: true, hint: s.numberHint, attrs: html` maxlength="35" autocomplete="off" spellcheck="false"` })}
        ${input('issueDate', s.issueDate, { required: true, type: 'date' })}
        ${input('dueDate', s.dueDate, { type: 'date', hint: s.termsHint })}
        ${input('terms', s.terms, { cls: 'wide', attrs: html` maxlength="300"` })}
        ${input('preceding', s.preceding, { hint: s.precedingHint, attrs: html` maxlength="35" autocomplete="off"` })}
        ${input('exemption', s.exemption, { hint: s.exemptionHint, cls: 'wide vat-only', attrs: html` maxlength="300"` })}
      </div></section>
      <section aria-labelledby="notes-h"><h2 id="notes-h">${s.sections.notes}</h2>
        <p class="hint">${s.notesHint}</p><div class="grid">
        ${textarea('note', s.note, { hint: s.noteHint, rows: 3, attrs: html` maxlength="1000"` })}
        ${textarea('penalties', s.penalties, { required: true, rows: 4, hint: s.penaltiesHint, attrs: html` maxlength="500"` })}
        ${textarea('indemnity', s.indemnity, { required: true, rows: 4, hint: s.indemnityHint, attrs: html` maxlength="500"` })}
        ${textarea('discount', s.discount, { required: true, hint: s.discountHint, attrs: html` maxlength="500"` })}
      </div></section>
      <section aria-labelledby="lines-h"><h2 id="lines-h">${s.sections.lines}</h2>
        <p class="hint">${s.quantityHint}</p>
        ${Array.from({ length: visibleLines }, (_, i) => line(i + 1))}
        <details${openLater ? html` open` : ''}><summary>${s.moreLines(later.length)}</summary>${later.map(line)}</details>
      </section>
      ${computed ? amounts(c, s, computed) : ''}
      <section aria-labelledby="send-h"><h2 id="send-h">${s.sections.send}</h2>
        <fieldset class="choice"><legend>${s.output}</legend>
          ${outputs.map((o) => html`<label class="option"><input type="radio" name="output" value="${o}"${(v('output') || 'cii') === o ? html` checked` : ''}> ${s.outputs[o]}</label>`)}
        </fieldset>
        <div class="actions">
          <button type="submit" name="action" value="compute" class="secondary">${s.compute}</button>
          <button type="submit" name="action" value="send" data-send>${s.send}</button>
        </div>
      </section>
    </form>`
}

function amounts(c: Ctx, s: SaisieMessages, inv: Invoice): Html {
  const money = (v: string) => new Intl.NumberFormat(c.lang === 'fr' ? 'fr-FR' : 'en-GB', { style: 'currency', currency: inv.currency }).format(Number(v))
  const a = s.amounts
  // Under the franchise there is no VAT rate: the column says so, with the article.
  const rateOf = (r: Invoice['lines'][number]['rate']) => (inv.franchise ? s.franchiseRate : s.rates[r])
  return html`<section aria-labelledby="amounts-h" data-amounts><h2 id="amounts-h">${s.sections.totals}</h2>
    <p class="notice ok" role="status">${s.computedHelp}</p>
    <div class="table" tabindex="0" role="region" aria-labelledby="amounts-h"><table>
      <thead><tr><th scope="col">${a.line}</th><th scope="col">${a.description}</th><th scope="col">${a.rate}</th><th scope="col" class="num">${a.net}</th></tr></thead>
      <tbody>${inv.lines.map((l) => html`<tr><td>${l.id}</td><td>${l.description}</td><td>${rateOf(l.rate)}</td><td class="num" data-line-amount="${l.amount}">${money(l.amount)}</td></tr>`)}</tbody></table></div>
    <h3 id="vat-h">${s.vatBreakdown}</h3>
    <div class="table" tabindex="0" role="region" aria-labelledby="vat-h"><table>
      <thead><tr><th scope="col">${a.rate}</th><th scope="col" class="num">${a.basis}</th><th scope="col" class="num">${a.tax}</th></tr></thead>
      <tbody>${inv.vat.map((g) => html`<tr><td>${rateOf(g.rate)}</td><td class="num">${money(g.basis)}</td><td class="num" data-vat="${g.rate}">${money(g.tax)}</td></tr>`)}</tbody></table></div>
    <dl class="facts totals">
      <dt>${a.lineTotal}</dt><dd data-total="lineTotal" data-value="${inv.totals.lineTotal}">${money(inv.totals.lineTotal)}</dd>
      <dt>${a.taxTotal}</dt><dd data-total="tax" data-value="${inv.totals.tax}">${money(inv.totals.tax)}</dd>
      <dt>${a.grand}</dt><dd data-total="grand" data-value="${inv.totals.grand}">${money(inv.totals.grand)}</dd>
      <dt>${a.due}</dt><dd data-total="due" data-value="${inv.totals.due}">${money(inv.totals.due)}</dd>
    </dl></section>`
}
