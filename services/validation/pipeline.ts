// The validation pipeline of one worker, in phive's order: parse → XML schema → rule packs chosen from the
// document → findings with line numbers. A layer that fails fatally stops the ones after it (a document
// that is not schema-valid is not given to the Schematron rules). Documents come in batches so each pack
// runs once per batch (saxon-engine.ts).
// Two rule engines (issue 6): `saxonjs`, the reference, runs each pack's XSLT; `native` (native/engine.ts)
// runs the same rules compiled to JavaScript over one light tree per document, shared by every native pack,
// and falls back to SaxonJS for each pack it cannot load or that the differential test has not verified
// (nativePackFor says why). Findings and
// their order are the same whichever engine runs a pack: packs are reported in the order they were chosen.
// Packs the operator supplies (packs.json `suppliedPacks`, artefacts.ts) run like the others when they are in
// the packs folder (supplied-packs.ts gives their native form); when one a document calls for is missing, the
// document gets FACTEUR-PACK-MISSING at the operator's severity (fatal unless FACTEUR_MISSING_PACK_SEVERITY=warning).
import type { Finding, Syntax } from '../../schemas/events.js'
import { syntaxOfRoot } from '../../schemas/syntaxes.js'
import type { Artefacts, ResolvedPack, ResolvedSuppliedPack } from './artefacts.js'
import { choosePacks, missingPackFinding, type DocumentFacts, type MissingPack, type PackName } from './choose-packs.js'
import { createSchemaLayer } from './schema-layer.js'
import { loadPack, type CompiledPack } from './saxon-engine.js'
import { lineOf } from './locate.js'
import { parseXml, locatable, type XmlDocument } from './xml.js'
import type { NativePack } from './native/engine.js'
import { nativePackFor, saxonJsCannotRun } from './native/source.js'
import { suppliedNativePack } from './supplied-packs.js'
import { buildTree, type Tree } from './native/xpath/tree.js'

export type Job = {
  text: string
  /** when absent, recognised from the root element */
  syntax?: Syntax
  /** run only these packs (by name), instead of choosing them from the document */
  packs?: string[]
  /** skip the XML schema: for fragments that are not schema-complete (the EN 16931 unit tests) */
  skipSchema?: boolean
}

export type Verdict = {
  valid: boolean
  syntax: Syntax | null
  /**
   * the layers that ran: `xsd:<syntax>`, and `<artefact id>:<version>` for a pack run by SaxonJS (the
   * reference engine, unsuffixed as before engines could be chosen) or `<artefact id>:<version>@native`
   */
  ran: string[]
  findings: Finding[]
}

export type Engine = 'native' | 'saxonjs'
export const engines: readonly Engine[] = ['native', 'saxonjs']
export type PackInfo = {
  id: string; pack: string; version: string; title: string; syntaxes: Syntax[]
  /** the engine that runs this pack */
  engine: Engine
  /** when the engine asked for runs not this pack: why (SaxonJS runs it, or the native engine a pack SaxonJS cannot run) */
  fallback?: string
}
/** `packs`: the packs loaded, each with the engine that runs it (every pack, unless the pipeline is `lazy`). */
export type Pipeline = { validateBatch(jobs: Job[]): Verdict[]; readonly packs: PackInfo[] }
export type PipelineOptions = {
  /**
   * `native` (default) or `saxonjs`. The issue makes `native` the default once the differential test
   * (native/differential.test.ts) is green for every pack of schematron/packs.json, and it is: every pack
   * (EN 16931 UBL and CII, Peppol BIS UBL, French CTC UBL and CII, our fr-b2g) agrees with SaxonJS on the
   * corpus and on seeded variants (6 per full document in the suite; 30 per document ran green too with
   * FACTEUR_DIFF_VARIANTS=30). SaxonJS stays the reference engine (`saxonjs`), and a pack not yet verified
   * (a new version pinned in packs.json) runs on SaxonJS even with `native` (native/source.ts,
   * verifiedNativePacks). A pack SaxonJS cannot run (EXTENDED-CTC-FR) runs natively even with `saxonjs`,
   * verified against Saxon-HE for Java instead (verifiedAgainstJava).
   */
  engine?: Engine
  /**
   * Load each pack and XML schema when a document first needs it, instead of all of them up front: for the CLI,
   * whose one invoice needs two or three of the six packs and one of the three schemas (half of its start-up,
   * issue 11). The validation service loads everything at start: a steady first latency, its memory known.
   */
  lazy?: boolean
}

/** A pack the pipeline can run: from a registry or our own (packs.json `packs`), or supplied by the operator. */
type Entry = ResolvedPack | ResolvedSuppliedPack
/** One pack as the pipeline runs it, by either engine. */
type Runner = { entry: Entry; label: string } & ({ engine: 'saxonjs'; saxon: CompiledPack } | { engine: 'native'; native: NativePack })

const NS = {
  cbc: 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
  cac: 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
  rsm: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
  ram: 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
}

// XPath 1.0 (libxml2) for the facts pack selection needs, per syntax binding (EN 16931-3-2 / 3-3).
const factPaths = {
  ubl: {
    customizationId: '/*/cbc:CustomizationID',
    profileId: '/*/cbc:ProfileID',
    buyerIds: '/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID | /*/cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID | /*/cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID',
  },
  cii: {
    customizationId: '/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID',
    profileId: '/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID',
    buyerIds: '//ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:ID | //ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:GlobalID | //ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID | //ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID',
  },
}

export function factsOf(doc: XmlDocument, syntax: Syntax): DocumentFacts {
  const paths = syntax === 'cii' ? factPaths.cii : factPaths.ubl
  const first = (xpath: string) => { const n = doc.get(xpath, NS); return n ? n.content.trim() || null : null }
  const buyerIds = doc.find(paths.buyerIds, NS).map((n) => {
    const scheme = 'attr' in n && typeof n.attr === 'function' ? (n.attr('schemeID')?.value ?? null) : null
    return { scheme, value: n.content.trim() }
  })
  return { syntax, customizationId: first(paths.customizationId), profileId: first(paths.profileId), buyerIds }
}

const fatal = (ruleId: string, message: string, line: number | null = null): Finding =>
  ({ ruleId, severity: 'fatal', location: line ? `line ${line}` : '/', message, pack: null, line })

export function createPipeline(artefacts: Artefacts, options: PipelineOptions = {}): Pipeline {
  const engine = options.engine ?? 'native'
  const schemaLayer = createSchemaLayer(artefacts.schemas, { lazy: options.lazy })
  const fallbacks = new Map<string, string>()
  const supplied = artefacts.supplied ?? []
  const entries: Entry[] = [...artefacts.packs, ...supplied.filter((s) => s.status === 'supplied')]
  const load = (entry: Entry): Runner => {
    const ref = { pack: entry.pack, version: entry.version }
    // A pack SaxonJS cannot run (native/source.ts, verifiedAgainstJava) runs natively whichever engine is chosen.
    const noSaxonJs = saxonJsCannotRun(entry)
    if (engine === 'native' || noSaxonJs !== undefined) {
      const native = 'supplied' in entry ? suppliedNativePack(entry) : nativePackFor(entry)
      if ('pack' in native) {
        if (engine !== 'native') fallbacks.set(entry.id, noSaxonJs!)
        return { entry, label: `${entry.id}:${entry.version}@native`, engine: 'native', native: native.pack }
      }
      fallbacks.set(entry.id, native.reason)
    }
    // Only the packs SaxonJS runs load their SEF: a native pack needs none (less memory per worker).
    return { entry, label: `${entry.id}:${entry.version}`, engine: 'saxonjs', saxon: loadPack(entry.id, ref, entry.sefPath) }
  }
  const loaded = new Map<Entry, Runner>()
  const runnerOf = (entry: Entry): Runner => {
    let runner = loaded.get(entry)
    if (!runner) loaded.set(entry, runner = load(entry))
    return runner
  }
  if (!options.lazy) entries.forEach(runnerOf)
  const entryFor = (pack: string, syntax: Syntax) => entries.find((e) => e.pack === pack && e.syntaxes.includes(syntax))
  const runnerFor = (pack: string, syntax: Syntax): Runner | undefined => {
    const entry = entryFor(pack, syntax)
    return entry && runnerOf(entry)
  }
  const available = (pack: PackName, syntax: Syntax) => entryFor(pack, syntax) !== undefined
  /** A supplied pack that is not in the packs folder, when the pack for this syntax is one. */
  const missing = (pack: string, syntax: Syntax): MissingPack | undefined => {
    const m = supplied.find((s) => s.status === 'missing' && s.pack === pack && s.syntaxes.includes(syntax))
    if (!m || m.status !== 'missing') return undefined
    const { id, version, title, supplied: { file, sha256, from, url }, severity } = m
    return { id, pack, version, title, file, sha256, from, severity, ...(url === undefined ? {} : { url }) }
  }

  return {
    get packs() {
      return entries.filter((entry) => loaded.has(entry)).map((entry) => {
        const { id, pack, version, title, syntaxes } = entry
        const fallback = fallbacks.get(id)
        return { id, pack, version, title, syntaxes, engine: loaded.get(entry)!.engine, ...(fallback === undefined ? {} : { fallback }) }
      })
    },
    validateBatch(jobs) {
      type Work = { job: Job; doc: XmlDocument | null; syntax: Syntax | null; ran: string[]; findings: Finding[]; done: boolean; packs: Runner[]; results: Map<Runner, Finding[]> }
      const work: Work[] = jobs.map((job) => ({ job, doc: null, syntax: null, ran: [], findings: [], done: false, packs: [], results: new Map() }))
      try {
        for (const w of work) prepare(w)
        // SaxonJS: one transform per pack over every document that needs it.
        const byPack = new Map<Runner & { engine: 'saxonjs' }, Work[]>()
        for (const w of work) for (const p of w.packs) if (p.engine === 'saxonjs') byPack.set(p, [...(byPack.get(p) ?? []), w])
        for (const [runner, ws] of byPack) {
          const reports = runner.saxon.run(ws.map((w) => w.job.text))
          ws.forEach((w, i) => w.results.set(runner, reports[i]!))
        }
        // Native: one tree per document (one walk of the parsed document), shared by its native packs.
        for (const w of work) {
          let tree: Tree | null = null
          for (const p of w.packs) {
            if (p.engine !== 'native') continue
            tree ??= buildTree(w.doc!)
            w.results.set(p, p.native.runTree(tree))
          }
        }
        // In the order the packs were chosen, whichever engine ran them.
        for (const w of work) for (const p of w.packs) { w.ran.push(p.label); w.findings.push(...w.results.get(p)!) }
        return work.map((w) => {
          if (w.doc) {
            const root = locatable(w.doc.root)
            for (const f of w.findings) if (f.line === null && f.location.startsWith('/') && f.location !== '/') f.line = lineOf(root, f.location)
          }
          return { valid: !w.findings.some((f) => f.severity === 'fatal'), syntax: w.syntax, ran: w.ran, findings: w.findings }
        })
      } finally {
        for (const w of work) w.doc?.dispose()
      }

      function prepare(w: Work) {
        try {
          w.doc = parseXml(w.job.text)
        } catch (error) {
          const e = error as { message?: string; details?: { line?: number; message?: string }[] }
          const line = e.details?.[0]?.line ?? null
          w.findings.push(fatal('FACTEUR-XML-MALFORMED', `not well-formed XML: ${(e.details?.[0]?.message ?? e.message ?? String(error)).trim()}`, line || null))
          return
        }
        const syntax = w.job.syntax ?? syntaxOfRoot(w.doc.root.namespaceUri, w.doc.root.name)
        if (!syntax) {
          w.findings.push(fatal('FACTEUR-SYNTAX-UNSUPPORTED', `unsupported document {${w.doc.root.namespaceUri}}${w.doc.root.name}; accepted: UBL 2.1 Invoice, UBL 2.1 CreditNote, UN/CEFACT CII D16B CrossIndustryInvoice`, w.doc.root.line))
          return
        }
        w.syntax = syntax
        if (!w.job.skipSchema) {
          w.ran.push(`xsd:${syntax}`)
          const schemaFindings = schemaLayer.check(w.doc, syntax)
          w.findings.push(...schemaFindings)
          if (schemaFindings.some((f) => f.severity === 'fatal')) return
        }
        if (w.job.packs) {
          for (const name of w.job.packs) {
            const p = runnerFor(name, syntax)
            const m = p ? undefined : missing(name, syntax)
            if (p) w.packs.push(p)
            else if (m) w.findings.push(missingPackFinding(m, syntax))
            else w.findings.push({ ...fatal('FACTEUR-PACK-UNAVAILABLE', `the ${name} rules have no artefact for ${syntax}`), severity: 'warning' })
          }
          return
        }
        const choice = choosePacks(factsOf(w.doc, syntax), available, missing)
        w.findings.push(...choice.findings)
        w.packs = choice.packs.map((p) => runnerFor(p, syntax)!)
      }
    },
  }
}
