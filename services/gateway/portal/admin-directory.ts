// The operator's directory import: the file the admin API's `POST /v1/directory/structures:import` takes (NDJSON,
// one structure per line), sent by the page's script (static/admin.js) with its upload progress, imported by the
// same function (directory-routes.ts importDirectory: streamed line by line, so the upload's progress is the
// import's), recorded in portal_events (operator.directory.import, the report with its errors per line) and
// shown from that record: counts, then each refused line with the reason.
import type { Router } from 'express'
import { html, hidden } from './html.js'
import { csrfChecked, ctx, operatorOnly, signedIn } from './context.js'
import { actionById, am, count, one, operatorPage, recordAction, sectionPath, when, type AdminDeps } from './admin-frame.js'
import { importDirectory, NDJSON } from '../directory-routes.js'
import type { ImportReport } from '../directory-store.js'
import { checkEndpoint, type Checked } from '../../kit/endpoint-policy.js'
import { problem, problemContentType } from '../../kit/problem.js'

type ImportDetail = ImportReport & { file: string | null }

const EXAMPLE = '{"siret": "21750001600019", "name": "Ville de Paris", "serviceRequired": true, "services": [{"code": "SERV-FIN-01", "name": "Finances"}]}'

export function directoryRoutes(r: Router, deps: AdminDeps) {
  const { db, log, config } = deps
  // The endpoint policy app.ts gives the admin API (the forwarder checks again when it delivers).
  const allowed = (endpoint: string): Promise<Checked> => checkEndpoint(endpoint, { allowedHosts: config.deliveryAllowedHosts, dropRoot: config.dropRoot })

  r.get('/admin/directory', signedIn, operatorOnly, async (req, res) => {
    const c = ctx(req)
    const a = am(req)
    const done = one(req, 'done') ? await actionById<ImportDetail>(db, 'operator.directory.import', one(req, 'done')) : null
    const structures = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM structures')).rows[0]!.n
    const recent = (await db.query<{ id: string; at: Date; by: string | null; detail: ImportDetail }>(
      `SELECT e.id, e.at, p.name AS by, e.detail FROM portal_events e LEFT JOIN people p ON p.id = e.actor_id
        WHERE e.kind = 'operator.directory.import' ORDER BY e.id DESC LIMIT 10`)).rows
    const d = done?.detail
    operatorPage(req, res, {
      section: 'directory',
      body: html`
        ${d ? html`<section class="notice ${d.failed > 0 ? 'error' : 'ok'}" aria-labelledby="done-h" data-outcome>
          <h2 id="done-h">${a.importOutcome(d.imported, d.failed)}</h2>
          <p>${a.doneBy(done!.by ?? '?', when(done!.at, c.lang))}${d.file ? html` · <code>${d.file}</code>` : ''}</p>
          <dl class="facts counts">
            <dt>${a.linesRead}</dt><dd data-count="lines">${count(d.lines, c.lang)}</dd>
            <dt>${a.imported}</dt><dd data-count="imported">${count(d.imported, c.lang)}</dd>
            <dt>${a.created}</dt><dd data-count="created">${count(d.created, c.lang)}</dd>
            <dt>${a.updated}</dt><dd data-count="updated">${count(d.updated, c.lang)}</dd>
            <dt>${a.refusedLines}</dt><dd data-count="failed">${count(d.failed, c.lang)}</dd>
            <dt>${a.duration}</dt><dd>${count(d.seconds, c.lang)} s</dd>
          </dl>
          ${d.errors.length > 0 ? html`<h3 id="errors-h">${a.errorsPerLine}</h3>
            <div class="table" tabindex="0" role="region" aria-labelledby="errors-h"><table data-import-errors><thead><tr><th scope="col" class="num">${a.line}</th><th scope="col">${a.why}</th></tr></thead>
            <tbody>${d.errors.map((e) => html`<tr data-line="${e.line}"><td class="num">${e.line}</td><td>${e.message}</td></tr>`)}</tbody></table></div>
            ${d.errorsNotShown > 0 ? html`<p>${a.errorsNotShown(d.errorsNotShown)}</p>` : ''}` : ''}
        </section>` : ''}
        <p>${a.directoryCount(structures, count(structures, c.lang))}</p>
        <section aria-labelledby="import-h"><h2 id="import-h">${a.importTitle}</h2>
          <p class="hint">${a.importHint}</p>
          <pre class="example"><code>${EXAMPLE}</code></pre>
          <form class="stack narrow" data-import action="${sectionPath.directory}/import" method="post">
            ${hidden({ _csrf: c.session!.csrf })}
            <label for="import-file">${a.file}</label>
            <input id="import-file" name="file" type="file" required accept=".ndjson,.jsonl,.json,.txt,application/x-ndjson,application/json,text/plain">
            <button type="submit">${a.importButton}</button>
            <noscript><p class="notice error">${a.importNeedsScript}</p></noscript>
          </form>
          <div class="import-progress" data-import-progress hidden>
            <progress id="import-bar" max="1" value="0" aria-label="${a.uploadProgress}"></progress>
            <p id="import-state" data-import-state aria-live="polite"></p>
          </div>
        </section>
        <section aria-labelledby="recent-h"><h2 id="recent-h">${a.recentImports}</h2>
          ${recent.length === 0 ? html`<p>${a.noImports}</p>` : html`<div class="table" tabindex="0" role="region" aria-labelledby="recent-h"><table><thead><tr>
            <th scope="col">${a.at}</th><th scope="col">${a.by}</th><th scope="col">${a.file}</th><th scope="col" class="num">${a.linesRead}</th><th scope="col" class="num">${a.imported}</th><th scope="col" class="num">${a.refusedLines}</th><th scope="col"><span class="visually-hidden">${a.actions}</span></th></tr></thead>
            <tbody>${recent.map((e) => html`<tr><td>${when(e.at, c.lang)}</td><td>${e.by ?? ''}</td><td>${e.detail.file ?? ''}</td><td class="num">${count(e.detail.lines, c.lang)}</td>
              <td class="num">${count(e.detail.imported, c.lang)}</td><td class="num">${count(e.detail.failed, c.lang)}</td><td><a href="${sectionPath.directory}?done=${e.id}">${a.details}<span class="visually-hidden"> ${when(e.at, c.lang)}</span></a></td></tr>`)}</tbody></table></div>`}
        </section>
        <script src="/portal/static/admin.js" defer></script>`,
    })
  })

  // The file as the body (the page's script sends it with its progress): streamed into the import as it arrives.
  r.post('/admin/directory/import', signedIn, operatorOnly, csrfChecked, async (req, res) => {
    const c = ctx(req)
    if (!NDJSON.test(req.get('content-type') ?? '')) {
      const p = problem('UNSUPPORTED_MEDIA_TYPE', 'send one structure per line as application/x-ndjson')
      return res.status(p.status).type(problemContentType).send(JSON.stringify(p))
    }
    let file: string | null = null
    try { file = decodeURIComponent(req.get('x-file-name') ?? '').slice(0, 200) || null } catch { file = null }
    const report = await importDirectory(db, log, req, allowed)
    const id = await recordAction(db, c, 'operator.directory.import', report.imported === 0 && report.failed > 0 ? 'failed' : 'ok', { file, ...report })
    log.info({ personId: c.person!.id, file, lines: report.lines, imported: report.imported, failed: report.failed, event: id }, 'directory imported in the portal')
    res.json({ lines: report.lines, imported: report.imported, failed: report.failed, href: `${sectionPath.directory}?done=${id}` })
  })
}
