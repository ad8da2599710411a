// The supplier's and the buyer's pages: the lists of sent and received documents with their filters, one
// document (summary, history, findings in words, receipts, the readable PDF, the original), processing a received
// invoice (the lifecycle's transitions, the same 409 rules as the API: lifecycle-routes.ts setBusinessStatus), and
// depositing files (the same checks and storage as POST /v1/documents: deposit.ts, store-deposit.ts).
import express, { type Request, type Response, type Router } from 'express'
import { html, hidden, query, type Html } from './html.js'
import { csrfChecked, ctx, render, signedIn, type Ctx, type PortalDeps } from './context.js'
import { cursorOf, documentFor, historyOf, listDocuments, parseListFilters, receiptsOf, type DocumentRow, type ListFilters, type ListRow, type Side } from './documents.js'
import { statusNames, type Messages } from './i18n.js'
import { allowedNext, statuses, type Status } from '../../../schemas/lifecycle.js'
import { parseStatusRequest, reasonRequired, setBusinessStatus } from '../lifecycle-routes.js'
import { checkDeposit, checkMediaType, mediaTypeOf } from '../deposit.js'
import { storeDeposit } from '../store-deposit.js'
import { createSlots } from '../rate-limit.js'
import { isValidSiret } from '../structures.js'
import { continueTrace, formatTraceparent } from '../../kit/trace.js'
import { readInvoiceView } from '../../pdf/invoice-view.js'
import { renderInvoicePdf } from '../../pdf/render.js'
import { problem, problemContentType } from '../../kit/problem.js'
import { correctRouting } from './recycle.js'
import { recycleMessages } from './recycle-i18n.js'

const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 })

const money = (v: string | null | undefined, currency: string | null | undefined, lang: string) => {
  if (v === null || v === undefined || v === '' || Number.isNaN(Number(v))) return ''
  try { return new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { style: 'currency', currency: currency ?? 'EUR' }).format(Number(v)) } catch { return `${v} ${currency ?? ''}` }
}
const when = (d: Date, lang: string) => d.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' })
const statusName = (c: Ctx, s: string) => (s in statusNames[c.lang] ? statusNames[c.lang][s as Status] : s)
const badge = (c: Ctx, s: string) => html`<span class="status s-${s.toLowerCase()}">${statusName(c, s)}</span>`

export function documentRoutes(r: Router, deps: PortalDeps) {
  const { db, log, config } = deps
  const largeUploads = createSlots(config.maxLargeUploads)

  const listPage = async (req: Request, res: Response, side: Side) => {
    const c = ctx(req)
    const { t } = c
    const f = parseListFilters(req.query as Record<string, unknown>)
    const rows = await listDocuments(db, c.memberships, side, f)
    const more = rows.length > 50 ? rows[49]! : null
    const structures = c.memberships.filter((m) => (side === 'sent' ? m.sends : m.receives))
    render(req, res, {
      title: side === 'sent' ? t.sentTitle : t.receivedTitle, current: side,
      body: [filtersForm(c, side, f, structures.map((m) => ({ siret: m.siret, name: m.structureName ?? m.partnerName }))), table(c, side, rows.slice(0, 50)),
        more ? html`<p><a href="/portal/${side}${query({ ...stringFilters(f), before: cursorOf(more) })}">${t.more}</a></p>` : html``],
    })
  }

  r.get('/sent', signedIn, (req, res) => listPage(req, res, 'sent'))
  r.get('/received', signedIn, (req, res) => listPage(req, res, 'received'))

  r.get('/documents/:id', signedIn, async (req, res) => {
    const c = ctx(req)
    const doc = await documentFor(db, c.memberships, String(req.params.id))
    if (!doc) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    const done = typeof req.query.done === 'string' && req.query.done in statuses ? c.t.statusSet(statusName(c, req.query.done)) : null
    await documentPage(req, res, doc, done ? { kind: 'ok', text: done } : null)
  })

  const documentPage = async (req: Request, res: Response, doc: NonNullable<Awaited<ReturnType<typeof documentFor>>>, notice: { kind: 'ok' | 'error'; text: string } | null, status = 200, typedReason = '', recycleInput?: RecycleInput) => {
    const c = ctx(req)
    const { t } = c
    const [history, receipts] = await Promise.all([historyOf(db, doc.id), receiptsOf(db, doc.id)])
    const k = doc.keys
    const context = { paymentStatusManaged: doc.payment_status_managed === true }
    const possible = doc.receivedBy ? allowedNext(doc.status, 'recipient', context) : []
    // What the supplier may tell the buyer (COMPLETEE on a suspended invoice, ENCAISSEE once paid).
    const senderPossible = doc.sentBy ? allowedNext(doc.status, 'sender', context) : []
    const asRecipient = doc.receivedBy !== null && doc.sentBy === null
    const lastReason = [...history].reverse().find((h) => h.status === doc.status)?.reason ?? null
    render(req, res, {
      title: t.documentTitle(k?.invoiceNumber ?? doc.file_name ?? doc.id.slice(0, 8)), current: doc.receivedBy ? 'received' : 'sent', notice, status,
      body: html`<section aria-labelledby="summary-h"><h2 id="summary-h">${t.summary}</h2>
          <dl class="facts">
            <dt>${t.status}</dt><dd data-status="${doc.status}">${badge(c, doc.status)}</dd>
            <dt>${t.seller}</dt><dd>${k?.seller?.name ?? ''} ${k?.seller?.legalId?.value ?? ''}</dd>
            <dt>${t.buyer}</dt><dd>${k?.buyer?.name ?? ''} ${doc.recipient_address ?? k?.buyer?.legalId?.value ?? ''}</dd>
            <dt>${t.issueDate}</dt><dd>${k?.issueDate ?? ''}</dd>
            <dt>${t.total}</dt><dd>${money(k?.totals?.taxInclusive, k?.currency, c.lang)}</dd>
            <dt>${t.service}</dt><dd>${doc.service_code ?? k?.buyerReference ?? ''}</dd>
            <dt>${t.commitment}</dt><dd>${k?.orderReference ?? ''}</dd>
            <dt>${t.deposited}</dt><dd>${when(doc.received_at, c.lang)}${doc.file_name ? html` (${doc.file_name})` : ''}</dd>
          </dl>
          <p class="actions">${k ? html`<a class="button" href="/portal/documents/${doc.id}/pdf">${t.readable}</a>` : ''}
            <a class="button secondary" href="/portal/documents/${doc.id}/original" download>${t.original}</a></p>
        </section>
        ${possible.length > 0 ? processForm(c, doc.id, possible, typedReason, t.process) : ''}
        ${senderPossible.length > 0 ? processForm(c, doc.id, senderPossible, typedReason, recycleMessages[c.lang].tellBuyer) : ''}
        ${doc.sentBy && doc.status === 'A_RECYCLER' ? recycleSection(c, doc, lastReason, recycleInput ?? null) : ''}
        <section aria-labelledby="history-h"><h2 id="history-h">${t.history}</h2>
          <div class="table" tabindex="0" role="region" aria-labelledby="history-h"><table><thead><tr><th scope="col">${t.at}</th><th scope="col">${t.status}</th><th scope="col">${t.by}</th><th scope="col">${t.reason}</th></tr></thead>
          <tbody>${history.map((h) => html`<tr><td>${when(h.at, c.lang)}</td><td>${badge(c, h.status)}</td><td>${t.actors[h.actor] ?? h.actor}</td><td>${asRecipient && h.actor === 'hub' ? '' : h.reason ?? ''}</td></tr>`)}</tbody></table></div>
        </section>
        ${asRecipient ? '' : findingsSection(t, doc.findings)}
        <section aria-labelledby="receipts-h"><h2 id="receipts-h">${t.receipts}</h2>
          ${receipts.length === 0 ? html`<p>${t.noReceipts}</p>` : html`<ul>${receipts.map((rc) => html`<li>${rc.kind === 'mlr' ? 'Message Level Response' : 'Invoice Response'} ${rc.response_code} · ${statusName(c, rc.status)}</li>`)}</ul>`}
        </section>`,
    })
  }

  r.get('/documents/:id/pdf', signedIn, async (req, res) => {
    const c = ctx(req)
    const doc = await documentFor(db, c.memberships, String(req.params.id))
    if (!doc) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    const bytes = (await db.query<{ invoice: Buffer }>('SELECT coalesce(business_xml, payload) AS invoice FROM documents WHERE id = $1', [doc.id])).rows[0]!.invoice
    const read = readInvoiceView(bytes, { maxBytes: config.maxDocumentBytes, maxDepth: config.maxXmlDepth })
    if (!read.ok) return render(req, res, { title: c.t.notFound, body: html`<p>${read.reason}</p>`, status: 422 })
    const pdf = await renderInvoicePdf(read.view, { lang: c.lang, now: doc.received_at })
    res.type('application/pdf').set('Content-Disposition', `inline; filename="${doc.id}.pdf"`).send(Buffer.from(pdf))
  })

  r.get('/documents/:id/original', signedIn, async (req, res) => {
    const c = ctx(req)
    const doc = await documentFor(db, c.memberships, String(req.params.id))
    if (!doc) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    const payload = (await db.query<{ payload: Buffer }>('SELECT payload FROM documents WHERE id = $1', [doc.id])).rows[0]!.payload
    const ext = doc.content_type === 'application/pdf' ? 'pdf' : 'xml'
    const name = (doc.file_name ?? `${doc.keys?.invoiceNumber ?? doc.id}.${ext}`).replace(/[^\w.@-]+/g, '_')
    res.type(doc.content_type).set('Content-Disposition', `attachment; filename="${name}"`).send(payload)
  })

  // Processing a received invoice: the person's structure must be where it was delivered (documentFor), then the
  // hub's one rule for statuses (setBusinessStatus) with that structure's partner.
  r.post('/documents/:id/status', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const doc = await documentFor(db, c.memberships, String(req.params.id))
    if (!doc || (!doc.receivedBy && !doc.sentBy)) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    const b = req.body as Record<string, unknown>
    const typedReason = typeof b.reason === 'string' ? b.reason : ''
    const parsed = parseStatusRequest({ status: b.status, reason: typedReason })
    if (!parsed.ok) {
      const text = typeof b.status === 'string' && reasonRequired.includes(b.status as Status) ? c.t.reasonRequired : parsed.message
      return documentPage(req, res, doc, { kind: 'error', text }, 400, typedReason)
    }
    // The side the status is set by (schemas/lifecycle.ts); the person must be on that side through a structure.
    const side = statuses[parsed.value.status].by === 'sender' ? doc.sentBy : doc.receivedBy ?? doc.sentBy
    if (!side) return documentPage(req, res, doc, { kind: 'error', text: c.t.forbidden }, 403, typedReason)
    const outcome = await setBusinessStatus(db, config.topicPrefix, {
      documentId: doc.id, partnerId: side.partnerId, status: parsed.value.status, reason: parsed.value.reason, by: `portal:${c.person!.id}`,
    })
    if (outcome.kind === 'not-found') return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    if (outcome.kind === 'conflict') {
      const fresh = (await documentFor(db, c.memberships, doc.id)) ?? doc
      const allowed = outcome.allowed.map((s) => statusName(c, s)).join(', ') || '—'
      return documentPage(req, res, fresh, { kind: 'error', text: c.t.transitionRefused(statusName(c, outcome.current), allowed) }, 409, typedReason)
    }
    log.info({ documentId: doc.id, status: parsed.value.status, personId: c.person!.id, sequence: outcome.row.sequence }, 'business status set in the portal')
    res.redirect(303, `/portal/documents/${doc.id}?done=${parsed.value.status}`)
  })

  // Recycling an A_RECYCLER invoice: its routing data corrected in a copy deposited under the same number (recycle.ts).
  r.post('/documents/:id/recycle', signedIn, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const m = recycleMessages[c.lang]
    const doc = await documentFor(db, c.memberships, String(req.params.id))
    if (!doc || !doc.sentBy) return render(req, res, { title: c.t.notFound, body: [], status: 404 })
    const b = req.body as Record<string, unknown>
    const input: RecycleInput = { serviceCode: text(b.serviceCode), commitment: text(b.commitment), buyerSiret: text(b.buyerSiret) }
    if (doc.status !== 'A_RECYCLER') return documentPage(req, res, doc, { kind: 'error', text: m.notRecyclable }, 409)
    if (input.buyerSiret && !isValidSiret(input.buyerSiret)) return documentPage(req, res, doc, { kind: 'error', text: m.badSiret }, 400, '', input)
    const payload = (await db.query<{ payload: Buffer }>('SELECT payload FROM documents WHERE id = $1', [doc.id])).rows[0]!.payload
    const corrected = correctRouting(payload, doc.syntax, { serviceCode: input.serviceCode || null, commitment: input.commitment || null, buyerSiret: input.buyerSiret || null },
      { maxBytes: config.maxDocumentBytes, maxDepth: config.maxXmlDepth })
    if (!corrected.ok) return documentPage(req, res, doc, { kind: 'error', text: m.cannot(corrected.reason) }, 400, '', input)
    const deposit = checkDeposit(corrected.xml, { maxBytes: config.maxDocumentBytes, maxDepth: config.maxXmlDepth }, 'application/xml')
    if (!deposit.ok) return documentPage(req, res, doc, { kind: 'error', text: m.cannot(deposit.problem.detail) }, 400, '', input)
    const siret = doc.sentBy.siret
    const stored = await storeDeposit(db, config.topicPrefix, {
      partnerId: doc.sentBy.partnerId, body: corrected.xml, contentType: 'application/xml', sha256: deposit.sha256, sizeBytes: deposit.sizeBytes,
      idempotencyKey: null, traceparent: formatTraceparent(continueTrace(undefined)),
    }, async (tx, id) => {
      await tx.query('INSERT INTO portal_deposits (document_id, person_id, partner_id, siret, file_name) VALUES ($1, $2, $3, $4, $5)',
        [id, c.person!.id, doc.sentBy!.partnerId, siret, `${(doc.file_name ?? doc.keys?.invoiceNumber ?? doc.id).replace(/\.xml$/i, '')}-${m.correctedSuffix}.xml`])
    })
    log.info({ documentId: stored.id, recycled: doc.id, changed: corrected.changed, personId: c.person!.id }, 'A_RECYCLER invoice corrected and deposited again in the portal')
    res.redirect(303, `/portal/documents/${stored.id}`)
  })

  r.get('/deposit', signedIn, (req, res) => {
    const c = ctx(req)
    const { t } = c
    const structures = c.memberships.filter((m) => m.sends)
    render(req, res, {
      title: t.depositTitle, current: 'deposit',
      body: structures.length === 0 ? html`<p>${t.depositNoStructure}</p>` : html`<p>${t.depositHelp}</p>
        <form class="stack narrow" data-upload action="/portal/deposit" method="post" enctype="multipart/form-data">
          ${hidden({ _csrf: c.session!.csrf })}
          <label for="structure">${t.depositFor}</label>
          <select id="structure" name="structure">${structures.map((m) => html`<option value="${m.siret}">${m.structureName ?? m.partnerName} · ${m.siret}</option>`)}</select>
          <label for="files">${t.files}</label>
          <input id="files" name="files" type="file" multiple required accept=".xml,.pdf,application/xml,text/xml,application/pdf">
          <button type="submit">${t.send}</button>
          <noscript><p class="notice error">${t.depositNeedsScript}</p></noscript>
        </form>
        <ul class="uploads" data-uploads aria-live="polite"></ul>
        <p><a href="/portal/saisie">${t.saisieLink}</a></p>`,
    })
  })

  // One file per request, its bytes as the body (the page's script sends them one by one, with progress).
  r.post('/deposit', signedIn, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const fail = (code: 'NOT_FOUND' | 'DOCUMENT_TOO_LARGE' | 'INFRA_UNAVAILABLE', detail: string) => {
      const p = problem(code, detail)
      res.status(p.status).type(problemContentType).send(JSON.stringify(p))
    }
    const siret = String(req.query.structure ?? '')
    const membership = c.memberships.find((m) => m.siret === siret && m.sends)
    if (!membership) return fail('NOT_FOUND', `you are not a member of a structure ${siret} that sends invoices`)
    const unsupported = checkMediaType(req.get('content-type'))
    if (unsupported) return res.status(unsupported.status).type(problemContentType).send(JSON.stringify(unsupported))
    const declared = Number(req.get('content-length'))
    if (Number.isFinite(declared) && declared > config.maxDocumentBytes) return fail('DOCUMENT_TOO_LARGE', `the file is ${declared} bytes; the limit is ${config.maxDocumentBytes} bytes`)
    // A large file takes one of the portal's upload slots before it is read, as POST /v1/documents does.
    if (!(Number.isFinite(declared) && req.get('content-length') !== undefined && declared <= config.largeUploadBytes)) {
      const release = largeUploads.tryAcquire()
      if (!release) {
        res.set('Retry-After', '1')
        const p = problem('UPLOADS_BUSY', `${config.maxLargeUploads} large uploads are being read; retry in 1 s`, { retryAfter: 1 })
        return res.status(p.status).type(problemContentType).send(JSON.stringify(p))
      }
      res.once('close', release)
    }
    express.raw({ type: () => true, limit: config.maxDocumentBytes })(req, res, async (error?: unknown) => {
      if (error) return fail('DOCUMENT_TOO_LARGE', `the file is over the limit of ${config.maxDocumentBytes} bytes`)
      try {
        const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
        const mediaType = mediaTypeOf(req.get('content-type'))
        const deposit = checkDeposit(body, { maxBytes: config.maxDocumentBytes, maxDepth: config.maxXmlDepth }, mediaType)
        if (!deposit.ok) return res.status(deposit.problem.status).type(problemContentType).send(JSON.stringify(deposit.problem))
        const idempotencyKey = req.get('idempotency-key')
        const fileName = (req.get('x-file-name') ? decodeURIComponent(req.get('x-file-name')!) : '').slice(0, 200) || null
        const stored = await storeDeposit(db, config.topicPrefix, {
          partnerId: membership.partnerId, body, contentType: mediaType ?? 'application/xml', sha256: deposit.sha256, sizeBytes: deposit.sizeBytes,
          idempotencyKey: idempotencyKey && /^[\x21-\x7e]{1,200}$/.test(idempotencyKey) ? `portal:${idempotencyKey}` : null,
          traceparent: formatTraceparent(continueTrace(undefined)),
        }, async (tx, id) => {
          await tx.query('INSERT INTO portal_deposits (document_id, person_id, partner_id, siret, file_name) VALUES ($1, $2, $3, $4, $5)', [id, c.person!.id, membership.partnerId, siret, fileName])
        })
        log.info({ documentId: stored.id, personId: c.person!.id, siret, sizeBytes: deposit.sizeBytes, replay: stored.replay }, 'document deposited in the portal')
        res.status(202).json({ id: stored.id, status: stored.status, href: `/portal/documents/${stored.id}` })
      } catch (e) {
        log.error({ err: e }, 'portal deposit failed')
        fail('INFRA_UNAVAILABLE', 'the document could not be stored; try again')
      }
    })
  })
}

function stringFilters(f: ListFilters): Record<string, string | null> {
  return { structure: f.structure, status: f.status, party: f.party, service: f.service, commitment: f.commitment, from: f.from, to: f.to, min: f.min === null ? null : String(f.min), max: f.max === null ? null : String(f.max) }
}

function filtersForm(c: Ctx, side: Side, f: ListFilters, structures: { siret: string; name: string }[]): Html {
  const { t } = c
  const input = (name: string, label: string, value: string | null, type = 'text', extra: Html | string = '') =>
    html`<div class="field"><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" type="${type}" value="${value ?? ''}" ${extra}></div>`
  return html`<form method="get" class="filters" aria-label="${t.filter}">
    <div class="field"><label for="f-structure">${t.structure}</label><select id="f-structure" name="structure">
      <option value="">${t.allStructures}</option>
      ${structures.map((s) => html`<option value="${s.siret}"${f.structure === s.siret ? html` selected` : ''}>${s.name} · ${s.siret}</option>`)}</select></div>
    <div class="field"><label for="f-status">${t.status}</label><select id="f-status" name="status">
      <option value="">${t.anyStatus}</option>
      ${Object.keys(statuses).map((s) => html`<option value="${s}"${f.status === s ? html` selected` : ''}>${statusName(c, s)}</option>`)}</select></div>
    ${input('party', side === 'received' ? t.supplier : t.buyer, f.party)}
    ${side === 'received' ? [input('service', t.service, f.service), input('commitment', t.commitment, f.commitment)] : ''}
    ${input('from', t.dateFrom, f.from, 'date')}
    ${input('to', t.dateTo, f.to, 'date')}
    ${side === 'received' ? [input('min', t.amountMin, f.min === null ? null : String(f.min), 'text', html`inputmode="decimal"`), input('max', t.amountMax, f.max === null ? null : String(f.max), 'text', html`inputmode="decimal"`)] : ''}
    <div class="field submit"><button type="submit">${t.filter}</button></div>
  </form>`
}

function table(c: Ctx, side: Side, rows: ListRow[]): Html {
  const { t } = c
  if (rows.length === 0) return html`<p>${t.noDocuments}</p>`
  return html`<div class="table" tabindex="0" role="region" aria-labelledby="main-h"><table class="documents">
    <thead><tr><th scope="col">${t.number}</th><th scope="col">${side === 'received' ? t.supplier : t.buyer}</th><th scope="col">${t.issueDate}</th><th scope="col">${t.amount}</th><th scope="col">${t.status}</th><th scope="col">${t.deposited}</th></tr></thead>
    <tbody>${rows.map((r) => {
      const k = r.keys
      const party = side === 'received' ? k?.seller : k?.buyer
      return html`<tr data-document="${r.id}"><td><a href="/portal/documents/${r.id}">${k?.invoiceNumber ?? r.file_name ?? r.id.slice(0, 8)}</a></td>
        <td>${party?.name ?? (side === 'sent' ? r.recipient_address ?? '' : '')}</td><td>${k?.issueDate ?? ''}</td>
        <td class="num">${money(k?.totals?.taxInclusive, k?.currency, c.lang)}</td><td>${badge(c, r.status)}</td><td>${when(r.received_at, c.lang)}</td></tr>`
    })}</tbody></table></div>`
}

function processForm(c: Ctx, id: string, possible: Status[], typedReason: string, title: string): Html {
  const { t } = c
  // Ids per form: a person on both sides of a document sees two of them.
  const k = possible.includes('COMPLETEE') || possible.includes('ENCAISSEE') ? 'sender' : 'process'
  return html`<section aria-labelledby="${k}-h"><h2 id="${k}-h">${title}</h2>
    <form method="post" action="/portal/documents/${id}/status" class="stack narrow" data-form="${k}">
      ${hidden({ _csrf: c.session!.csrf })}
      <label for="${k}-status">${t.newStatus}</label>
      <select id="${k}-status" name="status">${possible.map((s) => html`<option value="${s}">${statusName(c, s)}</option>`)}</select>
      <label for="${k}-reason">${t.reason}</label>
      <p class="hint" id="${k}-reason-hint">${t.reasonHelp}</p>
      <textarea id="${k}-reason" name="reason" rows="3" maxlength="1000" aria-describedby="${k}-reason-hint">${typedReason}</textarea>
      <button type="submit">${t.apply}</button>
    </form></section>`
}

export type RecycleInput = { serviceCode: string; commitment: string; buyerSiret: string }
const text = (v: unknown) => (typeof v === 'string' ? v.trim().slice(0, 100) : '')

function recycleSection(c: Ctx, doc: DocumentRow, reason: string | null, typed: RecycleInput | null): Html {
  const m = recycleMessages[c.lang]
  const k = doc.keys
  const value = typed ?? {
    serviceCode: doc.service_code ?? k?.buyerReference ?? '', commitment: k?.orderReference ?? '',
    buyerSiret: doc.recipient_address?.startsWith('0009:') ? doc.recipient_address.slice(5) : k?.buyer?.endpoint?.value ?? k?.buyer?.legalId?.value ?? '',
  }
  const xml = doc.content_type !== 'application/pdf'
  return html`<section aria-labelledby="recycle-h"><h2 id="recycle-h">${m.title}</h2>
    ${reason ? html`<p class="notice error">${reason}</p>` : ''}
    <p>${xml ? m.help : m.pdfHelp}</p>
    ${xml ? html`<form method="post" action="/portal/documents/${doc.id}/recycle" class="stack narrow" data-form="recycle">
      ${hidden({ _csrf: c.session!.csrf })}
      <label for="r-buyer">${m.buyerSiret}</label><input id="r-buyer" name="buyerSiret" inputmode="numeric" pattern="[0-9]{14}" maxlength="14" value="${value.buyerSiret}">
      <label for="r-service">${m.serviceCode}</label><input id="r-service" name="serviceCode" maxlength="100" value="${value.serviceCode}">
      <label for="r-commitment">${m.commitment}</label><input id="r-commitment" name="commitment" maxlength="100" value="${value.commitment}">
      <button type="submit">${m.submit}</button>
    </form>` : html`<p><a class="button" href="/portal/deposit">${c.t.nav.deposit}</a></p>`}
  </section>`
}

function findingsSection(t: Messages, findings: { ruleId: string; severity: string; location: string; message: string; line: number | null }[]): Html {
  return html`<section aria-labelledby="findings-h"><h2 id="findings-h">${t.findings}</h2>
    ${findings.length === 0 ? html`<p>${t.noFindings}</p>` : html`<div class="table" tabindex="0" role="region" aria-labelledby="findings-h"><table class="findings">
      <thead><tr><th scope="col">${t.rule}</th><th scope="col">${t.severity}</th><th scope="col">${t.what}</th><th scope="col">${t.where}</th></tr></thead>
      <tbody>${findings.map((f) => html`<tr class="sev-${f.severity}"><td><code>${f.ruleId}</code></td><td>${t.severities[f.severity] ?? f.severity}</td><td>${f.message}</td>
        <td>${f.line !== null ? `${t.line} ${f.line} · ` : ''}<code class="path">${f.location}</code></td></tr>`)}</tbody></table></div>`}
  </section>`
}
