// Runs one compiled rule pack (SEF of batch.xslt wrapping the pack's XSLT, see artefacts.ts) with SaxonJS.
// Why batches: every SaxonJS transform first rebuilds its run-time view of the stylesheet from the SEF,
// about a third of the time of a small document (../shared/docs/validation-notes.md); one transform over
// several documents pays it once. Measured on the UBL examples, EN 16931, warm: 46 ms per document one by
// one, 35 ms in batches of 5, 33 ms in batches of 10.
// A dynamic error (XPTY0004, FORG0001 …) aborts the whole transform; the batch is then re-run document by
// document (as the document's own transform, with the document as global context item) so that only the
// document that caused it gets the fatal FACTEUR-RULE-ERROR finding.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import type { Finding } from '../../schemas/events.js'
import { parseSvrl, parseSvrlBatch, ruleErrorFinding, type PackRef } from './findings.js'

type SaxonApi = { transform(options: Record<string, unknown>, mode: 'sync'): { principalResult: string } }
// Loaded with the first pack it runs, not with this module: with the native engine (the default) no pack may
// need it, and loading it costs about 0.7 s of CPU, which was most of `npx facteur validate`'s start-up (issue 11).
let loaded: SaxonApi | undefined
const saxonJs = (): SaxonApi => (loaded ??= createRequire(import.meta.url)('saxon-js') as SaxonApi)

export type CompiledPack = { ref: PackRef; id: string; readonly batchable: boolean; run(texts: string[]): Finding[][] }

export function loadPack(id: string, ref: PackRef, sefPath: string): CompiledPack {
  const SaxonJS = saxonJs()
  const sef = JSON.parse(readFileSync(sefPath, 'utf8')) as unknown
  // Some official stylesheets (Peppol BIS) read the document in global variables (`/*/cbc:…`), which
  // needs the document as the transform's global context item: those run one transform per document.
  // Detected on first use: the batch then fails with XPDY0002 ("Focus for / is absent").
  let batchable = true
  const batch = (texts: string[]): Finding[][] => {
    const { principalResult } = SaxonJS.transform(
      { stylesheetInternal: sef, initialTemplate: 'batch', stylesheetParams: { docs: texts }, destination: 'serialized' }, 'sync')
    const reports = parseSvrlBatch(principalResult, ref)
    if (reports.length !== texts.length) throw new Error(`${id}: ${reports.length} SVRL reports for ${texts.length} documents`)
    return reports
  }
  const single = (text: string): Finding[] => {
    try {
      const { principalResult } = SaxonJS.transform({ stylesheetInternal: sef, sourceText: text, destination: 'serialized' }, 'sync')
      return parseSvrl(principalResult, ref)
    } catch (error) {
      return [ruleErrorFinding(ref, error)]
    }
  }
  return {
    ref, id,
    get batchable() { return batchable },
    run(texts) {
      if (texts.length === 0) return []
      if (!batchable) return texts.map(single)
      try {
        return batch(texts)
      } catch (error) {
        if (String((error as { code?: string }).code ?? '').endsWith('XPDY0002')) batchable = false
        return texts.map(single)
      }
    },
  }
}
