// The validation pipeline of one worker, in phive's order: parse → XML schema → rule packs chosen from the
// document → findings with line numbers. A layer that fails fatally stops the ones after it (a document
// that is not schema-valid is not given to the Schematron rules). Documents come in batches so each pack
// runs once per batch (saxon-engine.ts).
import type { Finding, Syntax } from '../../schemas/events.js'
import type { Artefacts } from './artefacts.js'
import { choosePacks, type DocumentFacts, type PackName } from './choose-packs.js'
import { createSchemaLayer } from './schema-layer.js'
import { loadPack, type CompiledPack } from './saxon-engine.js'
import { lineOf } from './locate.js'
import { parseXml, locatable, type XmlDocument } from './xml.js'

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
  /** the layers that ran: `xsd:<syntax>` and `<artefact id>:<version>` */
  ran: string[]
  findings: Finding[]
}

export type PackInfo = { id: string; pack: string; version: string; title: string; syntaxes: Syntax[] }
export type Pipeline = { validateBatch(jobs: Job[]): Verdict[]; packs: PackInfo[] }

const roots: Record<string, Syntax> = {
  'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2 Invoice': 'ubl-invoice',
  'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2 CreditNote': 'ubl-creditnote',
  'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100 CrossIndustryInvoice': 'cii',
}

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

export function createPipeline(artefacts: Artefacts): Pipeline {
  const schemaLayer = createSchemaLayer(artefacts.schemas)
  const compiled = artefacts.packs.map((p) => ({ entry: p, pack: loadPack(p.id, { pack: p.pack, version: p.version }, p.sefPath) }))
  const artefactFor = (pack: string, syntax: Syntax): CompiledPack | undefined =>
    compiled.find((c) => c.entry.pack === pack && c.entry.syntaxes.includes(syntax))?.pack
  const available = (pack: PackName, syntax: Syntax) => artefactFor(pack, syntax) !== undefined

  return {
    packs: artefacts.packs.map(({ id, pack, version, title, syntaxes }) => ({ id, pack, version, title, syntaxes })),
    validateBatch(jobs) {
      type Work = { job: Job; doc: XmlDocument | null; syntax: Syntax | null; ran: string[]; findings: Finding[]; done: boolean; packs: CompiledPack[] }
      const work: Work[] = jobs.map((job) => ({ job, doc: null, syntax: null, ran: [], findings: [], done: false, packs: [] }))
      try {
        for (const w of work) prepare(w)
        // One transform per pack over every document that needs it.
        const byPack = new Map<CompiledPack, Work[]>()
        for (const w of work) for (const p of w.packs) byPack.set(p, [...(byPack.get(p) ?? []), w])
        for (const [pack, ws] of byPack) {
          const reports = pack.run(ws.map((w) => w.job.text))
          ws.forEach((w, i) => { w.ran.push(`${pack.id}:${pack.ref.version}`); w.findings.push(...reports[i]!) })
        }
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
        const rootKey = `${w.doc.root.namespaceUri} ${w.doc.root.name}`
        const syntax = w.job.syntax ?? roots[rootKey] ?? null
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
            const p = artefactFor(name, syntax)
            if (p) w.packs.push(p)
            else w.findings.push({ ...fatal('FACTEUR-PACK-UNAVAILABLE', `the ${name} rules have no artefact for ${syntax}`), severity: 'warning' })
          }
          return
        }
        const choice = choosePacks(factsOf(w.doc, syntax), available)
        w.findings.push(...choice.findings)
        w.packs = choice.packs.map((p) => artefactFor(p, syntax)!)
      }
    },
  }
}
