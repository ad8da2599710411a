// The operator's dead letters and delivery jobs: what failed, where and why, and their replay (one, a
// selection, or everything pending), with the functions the admin API and `npx facteur dlq|deliveries` use
// (gateway/operations.ts; the selectors parsed by operations-routes.ts). Each replay is recorded in
// portal_events (operator.dlq.replay, operator.deliveries.retry) and logged; the page then shows its outcome
// from that record (a redirect: reloading the page replays nothing). A delivery row's button retries that job
// alone (a document's receipts are jobs of their own). The bulk actions (every letter never replayed, every failed
// delivery) first answer a page that says how many there are now and asks to confirm (a form, no script needed).
import type { Request, Response, Router } from 'express'
import { html, hidden, type Html } from './html.js'
import { csrfChecked, ctx, operatorOnly, signedIn, type Ctx } from './context.js'
import { statusNames } from './i18n.js'
import {
  actionById, am, field, fields, form, one, operatorName, operatorPage, recordAction, sectionPath, UUID, when, withQuery, type AdminDeps,
} from './admin-frame.js'
import type { AdminMessages } from './admin-i18n.js'
import type { Db } from '../../kit/db.js'
import {
  deadLettersSelected, deliveriesSelected, listDeadLetters, listDeliveries, parseDeliverySelector, replayDeadLetters, resolveTopic, retryDeliveries,
  type DeadLetterSelector, type DeliverySelector, type Skipped,
} from '../operations.js'
import { parseDeadLetterSelector } from '../operations-routes.js'
import { topics } from '../../../schemas/topics.js'
import { isStatus } from '../../../schemas/lifecycle.js'

const LIMIT = 200

type ReplayDetail = { selectors: unknown[]; replayed: { id: string; topic: string; documentId: string | null }[]; skipped: Skipped[] }
type RetryDetail = { selectors: unknown[]; retried: { id: string; documentId: string; kind: string; generation: number }[]; skipped: Skipped[] }

/** The current status of each document named (dead letters keep a text key: not always a document id). */
async function statusesOf(db: Db, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null && UUID.test(id)))]
  if (wanted.length === 0) return new Map()
  const { rows } = await db.query<{ id: string; status: string }>('SELECT id, status FROM documents WHERE id = ANY($1::uuid[])', [wanted])
  return new Map(rows.map((r) => [r.id, r.status]))
}

const statusBadge = (c: Ctx, s: string | undefined) => (s
  ? html`<span class="status s-${s.toLowerCase()}" data-document-status="${s}">${isStatus(s) ? statusNames[c.lang][s] : s}</span>` : '')

/** The first line of an error, the rest behind a disclosure. */
function errorText(a: AdminMessages, error: string | null): Html | string {
  if (!error) return ''
  const [first, ...rest] = error.split('\n')
  return rest.length === 0 && first!.length <= 300 ? html`<span class="error-text">${first}</span>`
    : html`<span class="error-text">${first!.slice(0, 300)}${first!.length > 300 ? '…' : ''}</span><details><summary>${a.wholeError}</summary><pre class="error-full">${error}</pre></details>`
}

/**
 * The page before a bulk action: what it would take now, and a form that does it (the same fields, `confirmed`
 * added), or only the way back when there is nothing to do.
 */
function confirmPage(req: Request, res: Response, p: { section: 'deadLetters' | 'deliveries'; title: string; says: string; count: number; button: string; action: string; keep: Record<string, string> }) {
  const a = am(req)
  const back = withQuery(sectionPath[p.section], p.keep)
  operatorPage(req, res, {
    section: p.section, title: p.title,
    body: html`<section aria-labelledby="confirm-h" data-confirm="${p.count}"><h2 id="confirm-h">${p.count > 0 ? p.says : a.nothingToDo}</h2>
      ${p.count > 0 ? html`<p class="hint">${a.confirmHint}</p>
      <form method="post" action="${p.action}" class="actions">
        ${hidden({ _csrf: ctx(req).session!.csrf, ...p.keep, action: 'all', confirmed: 'yes' })}
        <button type="submit" data-confirm-button>${p.button}</button>
        <a href="${back}" class="button secondary">${a.cancel}</a>
      </form>` : html`<p><a href="${back}">${a.cancel}</a></p>`}</section>`,
  })
}

function skippedTable(a: AdminMessages, skipped: Skipped[], id: string): Html | string {
  if (skipped.length === 0) return ''
  return html`<h3 id="${id}">${a.skippedTitle(skipped.length)}</h3>
    <div class="table" tabindex="0" role="region" aria-labelledby="${id}"><table data-skipped><thead><tr><th scope="col">${a.id}</th><th scope="col">${a.document}</th><th scope="col">${a.why}</th></tr></thead>
    <tbody>${skipped.map((s) => html`<tr data-skipped-id="${s.id}"><td>${s.id}</td><td><code>${s.documentId ?? ''}</code></td><td>${s.reason}</td></tr>`)}</tbody></table></div>`
}

export function operationsRoutes(r: Router, deps: AdminDeps) {
  const { db, log, config } = deps
  const prefix = config.topicPrefix
  const stages = Object.values(topics).filter((t) => t.dlq).map((t) => t.name)

  // ---- dead letters ----

  const deadLettersPage = async (req: Request, res: Response, notice: { kind: 'ok' | 'error'; text: string } | null = null, status = 200) => {
    const c = ctx(req)
    const a = am(req)
    const rawTopic = one(req, 'topic')
    const topic = rawTopic ? resolveTopic(prefix, rawTopic) : undefined
    const document = one(req, 'document')
    const state = ['pending', 'replayed', 'all'].includes(one(req, 'state')) ? one(req, 'state') : 'pending'
    const problems = [topic === null ? a.unknownTopic(rawTopic) : null, document && !UUID.test(document) ? a.notADocumentId : null].filter(Boolean) as string[]
    const letters = problems.length > 0 ? [] : await listDeadLetters(db, prefix, {
      topic: topic ?? undefined, documentId: document || undefined, replayed: state === 'pending' ? false : state === 'replayed' ? true : undefined, limit: LIMIT,
    })
    const docStatus = await statusesOf(db, letters.map((l) => l.documentId))
    const done = one(req, 'done') ? await actionById<ReplayDetail>(db, 'operator.dlq.replay', one(req, 'done')) : null
    const filters = { topic: rawTopic, document, state }
    operatorPage(req, res, {
      section: 'deadLetters', status, notice: notice ?? (problems.length > 0 ? { kind: 'error', text: problems.join(' ') } : null),
      body: html`<p class="hint">${a.deadLettersHint}</p>
        ${done ? html`<section class="notice ${done.detail.skipped.length > 0 && done.detail.replayed.length === 0 ? 'error' : 'ok'}" aria-labelledby="done-h" data-outcome>
          <h2 id="done-h">${a.replayOutcome(done.detail.replayed.length, done.detail.skipped.length)}</h2>
          <p>${a.doneBy(done.by ?? '?', when(done.at, c.lang))}</p>
          ${done.detail.replayed.length > 0 ? html`<ul>${done.detail.replayed.map((x) => html`<li data-replayed-id="${x.id}">${a.replayedLine(x.id, x.topic.replace(`${prefix}.`, ''), x.documentId ?? '')}</li>`)}</ul>` : ''}
          ${skippedTable(a, done.detail.skipped, 'done-skipped-h')}</section>` : ''}
        <form method="get" action="${sectionPath.deadLetters}" class="filters" aria-label="${a.filters}">
          <div class="field"><label for="f-state">${a.show}</label><select id="f-state" name="state">${(['pending', 'replayed', 'all'] as const).map((s) => html`<option value="${s}"${s === state ? html` selected` : ''}>${a.letterStates[s]}</option>`)}</select></div>
          <div class="field"><label for="f-topic">${a.stage}</label><select id="f-topic" name="topic"><option value="">${a.allStages}</option>${stages.map((s) => html`<option value="${s}"${topic === resolveTopic(prefix, s) ? html` selected` : ''}>${s}</option>`)}</select></div>
          <div class="field"><label for="f-document">${a.document}</label><input id="f-document" name="document" value="${document}" maxlength="36" autocomplete="off" spellcheck="false"></div>
          <div class="field"><button type="submit">${a.filter}</button></div>
        </form>
        <section aria-labelledby="letters-h"><h2 id="letters-h">${a.lettersListed(letters.length, LIMIT)}</h2>
        ${letters.length === 0 ? html`<p data-empty>${a.noDeadLetters}</p>` : html`
        <form method="post" action="${sectionPath.deadLetters}/replay">
          ${hidden({ _csrf: c.session!.csrf, ...filters })}
          <div class="table" tabindex="0" role="region" aria-labelledby="letters-h"><table class="ops"><thead><tr>
            <th scope="col"><span class="visually-hidden">${a.select}</span></th><th scope="col">${a.id}</th><th scope="col">${a.failedAt}</th><th scope="col">${a.stage}</th>
            <th scope="col">${a.document}</th><th scope="col">${a.why}</th><th scope="col" class="num">${a.attempts}</th><th scope="col">${a.replays}</th><th scope="col"><span class="visually-hidden">${a.actions}</span></th></tr></thead>
          <tbody>${letters.map((l) => html`<tr data-letter="${l.id}" data-document="${l.documentId ?? ''}">
            <td>${l.replayable ? html`<input type="checkbox" name="ids" value="${l.id}" id="dl-${l.id}"><label for="dl-${l.id}" class="visually-hidden">${a.selectLetter(l.id)}</label>` : ''}</td>
            <td>${l.id}</td><td>${when(l.failedAt, c.lang)}</td>
            <td>${l.consumer}<br><span class="hint">${l.topic.replace(`${prefix}.`, '')} #${l.partition}@${l.offset}</span></td>
            <td>${l.documentId ? html`<code>${l.documentId}</code><br>${statusBadge(c, docStatus.get(l.documentId))}` : a.noKey}</td>
            <td>${errorText(a, l.error)}${l.replayable ? '' : html`<p class="hint" data-not-replayable>${a.notReplayable}</p>`}</td>
            <td class="num">${l.attempts}</td>
            <td>${l.replayedAt ? html`${a.replayedTimes(l.replays)}<br><span class="hint">${when(l.replayedAt, c.lang)} · ${l.replayedBy ?? ''}</span>` : a.neverReplayed}</td>
            <td>${l.replayable ? html`<button type="submit" name="one" value="${l.id}" class="secondary">${a.replay}<span class="visually-hidden"> ${a.letterN(l.id)}</span></button>` : ''}</td></tr>`)}</tbody></table></div>
          <div class="actions">
            <button type="submit" name="action" value="selected">${a.replaySelected}</button>
            <button type="submit" name="action" value="all" class="secondary">${a.replayAllPending}</button>
          </div>
          <p class="hint">${a.replayAllHint}</p>
        </form>`}</section>`,
    })
  }

  r.get('/admin/dead-letters', signedIn, operatorOnly, (req, res) => deadLettersPage(req, res))

  r.post('/admin/dead-letters/replay', signedIn, operatorOnly, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const a = am(req)
    const chosen = field(req, 'one') ? [{ id: field(req, 'one') }]
      : field(req, 'action') === 'selected' ? fields(req, 'ids').map((id) => ({ id }))
      : field(req, 'action') === 'all' ? [{ all: true }] : []
    if (chosen.length === 0) return deadLettersPage(req, res, { kind: 'error', text: a.nothingSelected }, 400)
    const keep = { state: field(req, 'state'), topic: field(req, 'topic'), document: field(req, 'document') }
    if (field(req, 'action') === 'all' && !field(req, 'one') && field(req, 'confirmed') !== 'yes') {
      const now = await deadLettersSelected(db, prefix, { all: true })
      const n = now.length
      return confirmPage(req, res, {
        section: 'deadLetters', title: a.confirmReplayTitle, says: a.confirmReplay(n, now.filter((l) => !l.replayable).length), count: n,
        button: a.confirmReplayButton(n), action: `${sectionPath.deadLetters}/replay`, keep,
      })
    }
    const selectors: DeadLetterSelector[] = []
    for (const raw of chosen) {
      const parsed = parseDeadLetterSelector(raw, prefix)
      if (!parsed.ok) return deadLettersPage(req, res, { kind: 'error', text: parsed.message }, 400)
      selectors.push(parsed.value)
    }
    const by = operatorName(c)
    const detail: ReplayDetail = { selectors, replayed: [], skipped: [] }
    for (const selector of selectors) {
      const result = await replayDeadLetters(db, prefix, selector, by)
      detail.replayed.push(...result.replayed)
      detail.skipped.push(...result.skipped)
    }
    const id = await recordAction(db, c, 'operator.dlq.replay', detail.replayed.length === 0 && detail.skipped.length > 0 ? 'failed' : 'ok', detail)
    log.info({ selectors, by, personId: c.person!.id, replayed: detail.replayed.length, skipped: detail.skipped.length, event: id }, 'dead letters replayed in the portal')
    res.redirect(303, withQuery(sectionPath.deadLetters, { ...keep, done: id }))
  })

  // ---- delivery jobs ----

  const deliveriesPage = async (req: Request, res: Response, notice: { kind: 'ok' | 'error'; text: string } | null = null, status = 200) => {
    const c = ctx(req)
    const a = am(req)
    const state = ['failed', 'pending', 'delivered', 'all'].includes(one(req, 'state')) ? one(req, 'state') : 'failed'
    const document = one(req, 'document')
    const endpoint = one(req, 'endpoint')
    const problems = [document && !UUID.test(document) ? a.notADocumentId : null].filter(Boolean) as string[]
    const jobs = problems.length > 0 ? [] : await listDeliveries(db, prefix, { state: state === 'all' ? undefined : state, documentId: document || undefined, endpoint: endpoint || undefined, limit: LIMIT })
    const docStatus = await statusesOf(db, jobs.map((j) => j.documentId))
    const done = one(req, 'done') ? await actionById<RetryDetail>(db, 'operator.deliveries.retry', one(req, 'done')) : null
    const filters = { state, document, endpoint }
    const failed = jobs.filter((j) => j.state === 'failed')
    operatorPage(req, res, {
      section: 'deliveries', status, notice: notice ?? (problems.length > 0 ? { kind: 'error', text: problems.join(' ') } : null),
      body: html`<p class="hint">${a.deliveriesHint}</p>
        ${done ? html`<section class="notice ${done.detail.skipped.length > 0 && done.detail.retried.length === 0 ? 'error' : 'ok'}" aria-labelledby="done-h" data-outcome>
          <h2 id="done-h">${a.retryOutcome(done.detail.retried.length, done.detail.skipped.length)}</h2>
          <p>${a.doneBy(done.by ?? '?', when(done.at, c.lang))}</p>
          ${done.detail.retried.length > 0 ? html`<ul>${done.detail.retried.map((x) => html`<li data-retried-id="${x.id}">${a.retriedLine(x.id, a.kinds[x.kind] ?? x.kind, x.documentId, x.generation)}</li>`)}</ul>` : ''}
          ${skippedTable(a, done.detail.skipped, 'done-skipped-h')}</section>` : ''}
        <form method="get" action="${sectionPath.deliveries}" class="filters" aria-label="${a.filters}">
          <div class="field"><label for="f-state">${a.state}</label><select id="f-state" name="state">${(['failed', 'pending', 'delivered', 'all'] as const).map((s) => html`<option value="${s}"${s === state ? html` selected` : ''}>${a.jobStates[s]}</option>`)}</select></div>
          <div class="field"><label for="f-document">${a.document}</label><input id="f-document" name="document" value="${document}" maxlength="36" autocomplete="off" spellcheck="false"></div>
          <div class="field"><label for="f-endpoint">${a.endpoint}</label><input id="f-endpoint" name="endpoint" value="${endpoint}" maxlength="2000" autocomplete="off" spellcheck="false"></div>
          <div class="field"><button type="submit">${a.filter}</button></div>
        </form>
        <section aria-labelledby="jobs-h"><h2 id="jobs-h">${a.jobsListed(jobs.length, LIMIT)}</h2>
        ${jobs.length === 0 ? html`<p data-empty>${a.noJobs}</p>` : html`
        <form method="post" action="${sectionPath.deliveries}/retry">
          ${hidden({ _csrf: c.session!.csrf, ...filters })}
          <div class="table" tabindex="0" role="region" aria-labelledby="jobs-h"><table class="ops"><thead><tr>
            <th scope="col"><span class="visually-hidden">${a.select}</span></th><th scope="col">${a.id}</th><th scope="col">${a.document}</th><th scope="col">${a.endpoint}</th>
            <th scope="col">${a.state}</th><th scope="col">${a.lastAnswer}</th><th scope="col">${a.round}</th><th scope="col">${a.finished}</th><th scope="col"><span class="visually-hidden">${a.actions}</span></th></tr></thead>
          <tbody>${jobs.map((j) => html`<tr data-job="${j.id}" data-document="${j.documentId}" data-state="${j.state}">
            <td>${j.state === 'failed' ? html`<input type="checkbox" name="ids" value="${j.id}" id="job-${j.id}"><label for="job-${j.id}" class="visually-hidden">${a.selectJob(j.id)}</label>` : ''}</td>
            <td>${j.id}<br><span class="hint">${a.kinds[j.kind] ?? j.kind}${j.receiptSequence ? ` #${j.receiptSequence}` : ''}</span></td>
            <td><code>${j.documentId}</code><br>${statusBadge(c, docStatus.get(j.documentId))}</td>
            <td><code>${j.endpoint}</code></td>
            <td>${a.jobStates[j.state as 'failed'] ?? j.state}${j.nextAttemptAt ? html`<br><span class="hint">${a.nextAttempt(when(j.nextAttemptAt, c.lang))}</span>` : ''}</td>
            <td>${errorText(a, j.lastError)}</td>
            <td>${a.roundOf(j.generation, j.attempts)}${j.retriedAt ? html`<br><span class="hint">${a.retriedBy(j.retriedBy ?? '', when(j.retriedAt, c.lang))}</span>` : ''}</td>
            <td>${when(j.finishedAt, c.lang)}</td>
            <td>${j.state === 'failed' ? html`<button type="submit" name="one" value="${j.id}" class="secondary">${a.retry}<span class="visually-hidden"> ${a.jobN(j.id)}</span></button>` : ''}</td></tr>`)}</tbody></table></div>
          ${failed.length > 0 ? html`<div class="actions">
            <button type="submit" name="action" value="selected">${a.retrySelected}</button>
            ${endpoint ? html`<button type="submit" name="action" value="endpoint" class="secondary">${a.retryEndpoint}</button>` : ''}
            <button type="submit" name="action" value="all" class="secondary">${a.retryAllFailed}</button>
          </div>
          <p class="hint">${a.retryHint}</p>` : ''}
        </form>`}</section>`,
    })
  }

  r.get('/admin/deliveries', signedIn, operatorOnly, (req, res) => deliveriesPage(req, res))

  r.post('/admin/deliveries/retry', signedIn, operatorOnly, form, csrfChecked, async (req, res) => {
    const c = ctx(req)
    const a = am(req)
    const action = field(req, 'action')
    const chosen = field(req, 'one') ? [{ id: field(req, 'one') }]
      : action === 'selected' ? [...new Set(fields(req, 'ids'))].map((id) => ({ id }))
      : action === 'endpoint' && field(req, 'endpoint') ? [{ endpoint: field(req, 'endpoint') }]
      : action === 'all' ? [{ all: true }] : []
    if (chosen.length === 0) return deliveriesPage(req, res, { kind: 'error', text: a.nothingSelected }, 400)
    const keep = { state: field(req, 'state'), document: field(req, 'document'), endpoint: field(req, 'endpoint') }
    if (action === 'all' && !field(req, 'one') && field(req, 'confirmed') !== 'yes') {
      const now = await deliveriesSelected(db, prefix, { all: true })
      const documents = now.length === 0 ? 0
        : (await db.query<{ n: number }>('SELECT count(DISTINCT document_id)::int AS n FROM delivery_jobs WHERE id = ANY($1::bigint[])', [now])).rows[0]!.n
      return confirmPage(req, res, {
        section: 'deliveries', title: a.confirmRetryTitle, says: a.confirmRetry(now.length, documents), count: now.length,
        button: a.confirmRetryButton(now.length), action: `${sectionPath.deliveries}/retry`, keep,
      })
    }
    const selectors: DeliverySelector[] = []
    for (const raw of chosen) {
      const parsed = parseDeliverySelector(raw)
      if (!parsed.ok) return deliveriesPage(req, res, { kind: 'error', text: parsed.message }, 400)
      selectors.push(parsed.value)
    }
    const by = operatorName(c)
    const detail: RetryDetail = { selectors, retried: [], skipped: [] }
    for (const selector of selectors) {
      const result = await retryDeliveries(db, prefix, selector, by)
      detail.retried.push(...result.retried)
      detail.skipped.push(...result.skipped)
    }
    const id = await recordAction(db, c, 'operator.deliveries.retry', detail.retried.length === 0 && detail.skipped.length > 0 ? 'failed' : 'ok', detail)
    log.info({ selectors, by, personId: c.person!.id, retried: detail.retried.length, skipped: detail.skipped.length, event: id }, 'failed deliveries retried in the portal')
    res.redirect(303, withQuery(sectionPath.deliveries, { ...keep, done: id }))
  })
}
