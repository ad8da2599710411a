// Receipts are checked against what a Peppol receiver would check: the official UBL 2.1 ApplicationResponse
// XSD (from the project's schema cache, filled by `npm run artefacts`) and the official Peppol Schematron
// for the two transactions, PEPPOLBIS-T71 (Message Level Response) and PEPPOLBIS-T111 (Invoice Response),
// taken from the phive-rules-peppol jar that schematron/packs.json pins, compiled to SaxonJS SEF once and
// cached in the OS temp dir by the XSLT's sha256. Neither is skipped when missing: the test fails saying
// what to run. The status service may not import the validation service (import-rules.test.ts), so the
// little plumbing needed is repeated here.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { XmlDocument, XsdValidator, XmlValidateError, type XmlNode } from 'libxml2-wasm'
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs'
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Finding } from '../../schemas/events.js'
import { statuses } from '../../schemas/lifecycle.js'
import {
  buildReceipt, invoiceResponseCodes, MAX_LINE_RESPONSES, mlrResponseCodes, NO_RECEIPT,
  type Receipt, type ReceiptInput,
} from './receipts.js'
import { escapeXml } from '../kit/safe-xml.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const NS = {
  ar: 'urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2',
  cac: 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
  cbc: 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
  svrl: 'http://purl.oclc.org/dsdl/svrl',
}

// ---- Inputs ----

const hub: ReceiptInput['hub'] = { name: 'Facteur', endpoint: { scheme: '0009', value: '11000201100044' } }
const seller = { scheme: '0009', value: '12345678200010', name: 'Fournisseur SARL' }
const buyer = { scheme: '0009', value: '11000201100010', name: 'Ministère de l’Exemple' }
const at = Date.UTC(2025, 10, 14, 9, 30, 5, 123)

function input(status: string, over: Partial<ReceiptInput> = {}): ReceiptInput {
  return {
    documentId: 'doc-0001', sequence: 3, status, code: (statuses as Record<string, { code: string | null }>)[status]?.code ?? null, at,
    reason: null, findings: [], routingReasons: [],
    invoice: { number: 'F2025-0042', issueDate: '2025-11-10', typeCode: '380' },
    sender: seller, recipient: buyer, hub, ...over,
  }
}

const finding = (f: Partial<Finding> & Pick<Finding, 'ruleId' | 'severity'>): Finding =>
  ({ location: '/', message: 'message', pack: 'en16931', line: null, ...f })

const rejectionFindings: Finding[] = [
  finding({ ruleId: 'BR-CO-15', severity: 'fatal', location: "/*:Invoice[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'][1]/*:LegalMonetaryTotal[1]", message: 'Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109) + Invoice total VAT amount (BT-110).' }),
  finding({ ruleId: 'PEPPOL-EN16931-R008', severity: 'warning', location: '/Invoice/cac:InvoiceLine[2]/cbc:Note', message: 'Document MUST not contain empty elements.', pack: 'peppol-bis-billing-3' }),
  finding({ ruleId: 'FACTEUR-XSD', severity: 'fatal', location: 'line 12', message: "UBL 2.1 Invoice: Element 'cbc:Foo': This element is not expected.", pack: 'xsd', line: 12 }),
  finding({ ruleId: 'BR-FR-01', severity: 'information', location: '/Invoice', message: 'informational only' }),
  finding({ ruleId: 'BR-16', severity: 'fatal', location: '/Invoice/cac:InvoiceLine[1]', message: 'An Invoice shall have at least one Invoice line (BG-25).' }),
]

const unparsed = { invoice: { number: null, issueDate: null, typeCode: null }, recipient: { scheme: null, value: null, name: null } }

const hostile = `<script>alert("x")</script> & 'quoted' \u0000\u0001\u0007\u001b\u000b\u000c\uFFFE\uFFFF\uD800 tab\there\r\nnew line 💶 ]]> --> <!-- `
const hostileClean = `<script>alert("x")</script> & 'quoted'  tab\there\r\nnew line 💶 ]]> --> <!-- `

/** Every receipt the hub can emit, with the variations that change the XML. */
const cases: Array<[string, ReceiptInput]> = [
  ['REJETEE after validation', input('REJETEE', { reason: 'validation: 3 fatal findings (BR-CO-15, FACTEUR-XSD, BR-16): …', findings: rejectionFindings })],
  ['REJETEE before parsing', input('REJETEE', { ...unparsed, reason: 'ingest: not well-formed', findings: [finding({ ruleId: 'FACTEUR-XML-MALFORMED', severity: 'fatal', location: 'line 1', message: 'Start tag expected', pack: null, line: 1 })] })],
  ['REJETEE without findings', input('REJETEE', { reason: 'FACTEUR-DUPLICATE: F2025-0042 was already received' })],
  ['REJETEE with a credit note', input('REJETEE', { invoice: { number: 'AV-7', issueDate: '2025-11-11', typeCode: '381' }, findings: rejectionFindings.slice(0, 1) })],
  ['A_RECYCLER', input('A_RECYCLER', {
    reason: 'routing: 2 reasons',
    routingReasons: [
      { code: 'SERVICE_INCONNU', field: 'BT-10', message: 'Le code service « SRV-X » n’existe pas pour la structure 11000201100010' },
      { code: 'ENGAGEMENT_OBLIGATOIRE', field: 'BT-13', message: 'La structure exige un numéro d’engagement' },
    ],
  })],
  ['MISE_A_DISPOSITION', input('MISE_A_DISPOSITION')],
  ...Object.keys(invoiceResponseCodes).map((s): [string, ReceiptInput] => [s, input(s, { reason: s === 'PRISE_EN_CHARGE' ? null : `motif pour ${s}` })]),
  ['SUSPENDUE relayed by the hub (buyer without an address)', input('SUSPENDUE', { reason: 'pièce jointe manquante', recipient: { scheme: null, value: '11000201100010', name: 'Ministère' } })],
  ['APPROUVEE relayed by the hub (buyer unknown but by name)', input('APPROUVEE', { recipient: { scheme: null, value: null, name: 'Ministère' } })],
  ['REFUSEE with an unknown type code and date', input('REFUSEE', { reason: 'doublon', invoice: { number: 'X', issueDate: '2025-02-30', typeCode: '999' } })],
  ['hostile REJETEE', input('REJETEE', {
    documentId: `doc-${hostile}`, reason: hostile,
    invoice: { number: hostile, issueDate: hostile, typeCode: hostile },
    findings: [finding({ ruleId: hostile, severity: 'fatal', location: `/Invoice/${hostile}`, message: hostile }), finding({ ruleId: 'X', severity: 'warning', location: hostile, message: '\u0000\u0001 ' })],
  })],
  ['hostile A_RECYCLER', input('A_RECYCLER', { reason: hostile, routingReasons: [{ code: hostile, field: hostile, message: hostile }, { code: '', field: '', message: '' }] })],
  ['hostile EN_LITIGE', input('EN_LITIGE', { reason: hostile, code: '207', sender: { ...seller, name: hostile }, recipient: { ...buyer, name: hostile }, invoice: { number: hostile, issueDate: null, typeCode: null } })],
]

// ---- XSD (libxml2-wasm) ----

const cacheDir = join(process.env.FACTEUR_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'facteur'), 'xsd')
const MAIN_XSD = join('ubl21', 'maindoc', 'UBL-ApplicationResponse-2.1.xsd')

/** The schema set in the cache: the subdirectory holding the ApplicationResponse XSD and xsds/. */
function schemaSetDir(): string {
  const missing = `the UBL 2.1 schemas are not in ${cacheDir}: run \`npm run artefacts\` first`
  if (!existsSync(cacheDir)) throw new Error(missing)
  const dirs = readdirSync(cacheDir).map((d) => join(cacheDir, d))
    .filter((d) => statSync(d).isDirectory() && existsSync(join(d, MAIN_XSD)) && existsSync(join(d, 'xsds', 'xmldsig-core-schema.xsd')))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  if (dirs.length === 0) throw new Error(missing)
  return dirs[0]!
}

let xsdWork: string
let validator: XsdValidator

function compileXsd(): XsdValidator {
  const dir = schemaSetDir()
  xmlRegisterFsInputProviders()
  xsdWork = mkdtempSync(join(tmpdir(), 'facteur-receipts-'))
  const imports: Array<[string, string]> = [
    ['http://www.w3.org/2000/09/xmldsig#', join(dir, 'xsds', 'xmldsig-core-schema.xsd')],
    ['http://uri.etsi.org/01903/v1.3.2#', join(dir, 'xsds', 'XAdES01903v132-201601.xsd')],
    ['http://uri.etsi.org/01903/v1.4.1#', join(dir, 'xsds', 'XAdES01903v141-201601.xsd')],
    ['urn:un:unece:uncefact:data:specification:CoreComponentTypeSchemaModule:2', join(dir, 'xsds', 'CCTS_CCT_SchemaModule.xsd')],
    [NS.ar, join(dir, MAIN_XSD)],
  ]
  const wrapper = join(xsdWork, 'application-response.xsd')
  writeFileSync(wrapper, '<?xml version="1.0" encoding="UTF-8"?>\n'
    + '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:facteur:test:application-response">\n'
    + imports.map(([ns, path]) => `  <xsd:import namespace="${ns}" schemaLocation="${escapeXml(path)}"/>\n`).join('')
    + '</xsd:schema>\n')
  const xsd = XmlDocument.fromString(readFileSync(wrapper, 'utf8'), { url: wrapper })
  try {
    return XsdValidator.fromDoc(xsd)
  } finally {
    xsd.dispose()
  }
}

/** XSD errors of a receipt ([] when valid); throws if it is not even well-formed. */
function xsdErrors(xml: string): string[] {
  const doc = XmlDocument.fromString(xml)
  try {
    validator.validate(doc)
    return []
  } catch (error) {
    if (!(error instanceof XmlValidateError)) throw error
    return error.details.length > 0 ? error.details.map((d) => `line ${d.line}: ${d.message.trim()}`) : [error.message]
  } finally {
    doc.dispose()
  }
}

// ---- Peppol Schematron (SaxonJS) ----

const SaxonJS = createRequire(import.meta.url)('saxon-js') as {
  transform(options: Record<string, unknown>, mode: 'sync'): { principalResult: string }
}
const PEPPOL_JAR_MAVEN = 'com.helger.phive.rules:phive-rules-peppol:4.3.7'
const XSLT_DIR = 'external/schematron/openpeppol/2025.11/xslt'
const sefs: Record<'mlr' | 'invoice-response', unknown> = { mlr: null, 'invoice-response': null }

function peppolJar(): string {
  const [group, artifact, version] = PEPPOL_JAR_MAVEN.split(':') as [string, string, string]
  const jar = join(homedir(), '.m2', 'repository', ...group.split('.'), artifact, version, `${artifact}-${version}.jar`)
  if (!existsSync(jar)) throw new Error(`${jar} is missing: run \`npm run artefacts\` (it fetches the rule jars)`)
  // The jar the project pins (schematron/packs.json), not whatever is in the Maven repository.
  const packs = readFileSync(join(root, 'schematron', 'packs.json'), 'utf8')
  const pinned = [...packs.matchAll(/"maven":\s*"([^"]+)",\s*"jarSha256":\s*"([0-9a-f]{64})"/g)].find((m) => m[1] === PEPPOL_JAR_MAVEN)?.[2]
  const actual = createHash('sha256').update(readFileSync(jar)).digest('hex')
  if (pinned && pinned !== actual) throw new Error(`${jar} has sha256 ${actual}, schematron/packs.json pins ${pinned}`)
  return jar
}

/** The SEF of one official Peppol XSLT, compiled once and cached in the temp dir by the XSLT's sha256. */
function compileSchematron(jar: string, file: string): unknown {
  const xslt = execFileSync('unzip', ['-p', jar, `${XSLT_DIR}/${file}`], { maxBuffer: 64 * 1024 * 1024 })
  if (xslt.length === 0) throw new Error(`${XSLT_DIR}/${file} is not in ${jar}`)
  const text = xslt.toString('utf8')
  // Guard against a different file under the expected name: the transaction's own rules must be there.
  const transaction = file.match(/T\d+/)![0]
  if (!text.includes(`PEPPOL-${transaction}-`) || !text.includes(NS.ar)) throw new Error(`${file} is not the Peppol ${transaction} ApplicationResponse Schematron`)
  const hash = createHash('sha256').update(xslt).digest('hex')
  const dir = join(tmpdir(), 'facteur-peppol-sef')
  const sefPath = join(dir, `${file}.${hash}.sef.json`)
  if (!existsSync(sefPath)) {
    mkdirSync(dir, { recursive: true })
    const work = mkdtempSync(join(dir, 'work-'))
    try {
      writeFileSync(join(work, file), xslt)
      execFileSync(process.execPath, [join(root, 'node_modules', 'xslt3', 'xslt3.js'), `-xsl:${join(work, file)}`, `-export:${join(work, 'out.sef.json')}`, '-nogo', '-relocate:on', '-ns:##html5'], { stdio: 'pipe', maxBuffer: 64 * 1024 * 1024 })
      renameSync(join(work, 'out.sef.json'), sefPath) // atomic: a concurrent run sees the whole file or none
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  }
  return JSON.parse(readFileSync(sefPath, 'utf8')) as unknown
}

type Failed = { id: string; flag: string; location: string; text: string }

/** The failed asserts and successful reports of the Peppol Schematron for a receipt. */
function schematron(receipt: Receipt): Failed[] {
  const { principalResult } = SaxonJS.transform({ stylesheetInternal: sefs[receipt.kind], sourceText: receipt.xml, destination: 'serialized' }, 'sync')
  const svrl = XmlDocument.fromString(principalResult)
  try {
    if (svrl.find('//svrl:fired-rule', NS).length === 0) throw new Error('the Schematron fired no rule: wrong stylesheet or namespace?')
    return svrl.find('//svrl:failed-assert | //svrl:successful-report', NS).map((n) => {
      const el = n as XmlNode & { attr(name: string): { value: string } | null }
      return { id: el.attr('id')?.value ?? '', flag: el.attr('flag')?.value ?? '', location: el.attr('location')?.value ?? '', text: n.content.trim() }
    })
  } finally {
    svrl.dispose()
  }
}
const fatal = (r: Receipt) => schematron(r).filter((f) => f.flag === 'fatal')

beforeAll(() => {
  validator = compileXsd()
  const jar = peppolJar()
  sefs.mlr = compileSchematron(jar, 'PEPPOLBIS-T71.xslt')
  sefs['invoice-response'] = compileSchematron(jar, 'PEPPOLBIS-T111.xslt')
}, 300_000)

afterAll(() => {
  validator?.dispose()
  if (xsdWork) rmSync(xsdWork, { recursive: true, force: true })
})

// ---- Helpers on the produced XML ----

function withDoc<T>(xml: string, f: (doc: XmlDocument) => T): T {
  const doc = XmlDocument.fromString(xml)
  try { return f(doc) } finally { doc.dispose() }
}
const texts = (xml: string, xpath: string) => withDoc(xml, (d) => d.find(xpath, NS).map((n) => n.content))
const text = (xml: string, xpath: string) => texts(xml, xpath)[0]

function receipt(i: ReceiptInput): Receipt {
  const r = buildReceipt(i)
  if (!r) throw new Error(`no receipt for ${i.status}`)
  return r
}

// ---- Tests ----

describe('receipts are valid UBL 2.1 and valid Peppol', () => {
  test.each(cases)('%s: valid against the UBL 2.1 ApplicationResponse XSD', (_, i) => {
    expect(xsdErrors(receipt(i).xml)).toEqual([])
  })

  test.each(cases)('%s: no failed assert of the Peppol Schematron (T71 / T111), fatal or warning', (_, i) => {
    const failed = schematron(receipt(i))
    expect(failed.filter((f) => f.flag === 'fatal')).toEqual([])
    expect(failed).toEqual([])
  })

  test('the validators are not vacuous: a broken receipt fails both', () => {
    const good = receipt(input('MISE_A_DISPOSITION'))
    const badCode = { ...good, xml: good.xml.replace('<cbc:ResponseCode>AP<', '<cbc:ResponseCode>XX<') }
    expect(fatal(badCode).map((f) => f.id)).toContain('PEPPOL-T71-B01501')
    const reordered = { ...good, xml: good.xml.replace(/(<cbc:IssueDate>[^<]*<\/cbc:IssueDate>)(<cbc:IssueTime>[^<]*<\/cbc:IssueTime>)/, '$2$1') }
    expect(reordered.xml).not.toBe(good.xml)
    expect(xsdErrors(reordered.xml).join('\n')).toMatch(/IssueTime|IssueDate/)
    const ir = receipt(input('REFUSEE', { reason: 'x' }))
    const noClarification = { ...ir, xml: ir.xml.replace(/<cbc:StatusReasonCode[^>]*>OTH<\/cbc:StatusReasonCode>/, '') }
    expect(fatal(noClarification).map((f) => f.id)).toContain('PEPPOL-T111-R001')
  })

  test('a sender with no electronic address: still XSD-valid, and Peppol says exactly what is missing', () => {
    const r = receipt(input('REJETEE', { ...unparsed, sender: { scheme: null, value: null, name: null } }))
    expect(xsdErrors(r.xml)).toEqual([])
    expect(fatal(r).map((f) => f.id).sort()).toEqual(['PEPPOL-COMMON-R001', 'PEPPOL-T71-B01001'])
  })
})

describe('response codes', () => {
  test.each([
    ['REJETEE', 'mlr', 'RE'], ['A_RECYCLER', 'mlr', 'RE'], ['MISE_A_DISPOSITION', 'mlr', 'AP'],
    ['PRISE_EN_CHARGE', 'invoice-response', 'IP'], ['APPROUVEE', 'invoice-response', 'AP'],
    ['APPROUVEE_PARTIELLEMENT', 'invoice-response', 'CA'], ['EN_LITIGE', 'invoice-response', 'UQ'],
    ['SUSPENDUE', 'invoice-response', 'UQ'], ['COMPLETEE', 'invoice-response', 'IP'], ['REFUSEE', 'invoice-response', 'RE'],
    ['SERVICE_FAIT', 'invoice-response', 'IP'], ['MANDATEE', 'invoice-response', 'AP'], ['MISE_EN_PAIEMENT', 'invoice-response', 'PD'],
    ['PAIEMENT_TRANSMIS', 'invoice-response', 'PD'], ['ENCAISSEE', 'invoice-response', 'PD'],
  ])('%s → %s %s', (status, kind, code) => {
    const r = receipt(input(status, { reason: 'r' }))
    expect(r.kind).toBe(kind)
    expect(r.responseCode).toBe(code)
    expect(text(r.xml, '/ar:ApplicationResponse/cac:DocumentResponse/cac:Response/cbc:ResponseCode')).toBe(code)
    const [customization, profile] = kind === 'mlr'
      ? ['urn:fdc:peppol.eu:poacc:trns:mlr:3', 'urn:fdc:peppol.eu:poacc:bis:mlr:3']
      : ['urn:fdc:peppol.eu:poacc:trns:invoice_response:3', 'urn:fdc:peppol.eu:poacc:bis:invoice_response:3']
    expect(text(r.xml, '/ar:ApplicationResponse/cbc:CustomizationID')).toBe(customization)
    expect(text(r.xml, '/ar:ApplicationResponse/cbc:ProfileID')).toBe(profile)
  })

  test.each(['DEPOSEE', 'ECHEC_DISTRIBUTION', 'EN_ERREUR'])('no receipt for %s', (status) => {
    expect(buildReceipt(input(status, { reason: 'x', findings: rejectionFindings }))).toBeNull()
  })

  test('every status of the lifecycle has a decision: a receipt or none; an unknown status is an error', () => {
    for (const status of Object.keys(statuses)) {
      const r = buildReceipt(input(status))
      expect(r === null, status).toBe(NO_RECEIPT.includes(status))
      if (r) expect(Object.keys(r.kind === 'mlr' ? mlrResponseCodes : invoiceResponseCodes), status).toContain(status)
    }
    expect(() => buildReceipt(input('INVENTEE'))).toThrow(/INVENTEE/)
  })

  test('the French status and its reform code travel with the Invoice Response', () => {
    const r = receipt(input('PRISE_EN_CHARGE', { code: '204', reason: null }))
    expect(texts(r.xml, '//cac:DocumentResponse/cac:Response/cac:Status/cbc:StatusReason')).toEqual(['PRISE_EN_CHARGE (204)'])
    const s = receipt(input('SERVICE_FAIT', { code: null, reason: 'service fait le 12/11' }))
    expect(texts(s.xml, '//cac:Response/cac:Status/cbc:StatusReason')).toEqual(['SERVICE_FAIT: service fait le 12/11'])
  })

  test('CA, UQ and RE carry a clarification code (PEPPOL-T111-R001): PIN for SUSPENDUE, OTH with the reason otherwise', () => {
    const suspended = receipt(input('SUSPENDUE', { reason: 'bon de livraison manquant' }))
    expect(withDoc(suspended.xml, (d) => d.find('//cac:Status/cbc:StatusReasonCode', NS).map((n) => `${(n as XmlNode & { attr(n: string): { value: string } | null }).attr('listID')?.value}:${n.content}`))).toEqual(['OPStatusAction:PIN'])
    expect(text(suspended.xml, '//cac:Status/cbc:StatusReason')).toBe('SUSPENDUE (208): bon de livraison manquant')
    for (const status of ['APPROUVEE_PARTIELLEMENT', 'EN_LITIGE', 'REFUSEE']) {
      const r = receipt(input(status, { reason: 'écart de prix' }))
      expect(texts(r.xml, '//cac:Status/cbc:StatusReasonCode'), status).toEqual(['OTH'])
    }
    expect(texts(receipt(input('APPROUVEE')).xml, '//cac:Status/cbc:StatusReasonCode')).toEqual([])
  })

  test('Invoice Response parties: the buyer issues its statuses; the hub issues the seller’s and relays for a buyer without an address', () => {
    const byBuyer = receipt(input('APPROUVEE'))
    expect(text(byBuyer.xml, '/ar:ApplicationResponse/cac:SenderParty/cbc:EndpointID')).toBe(buyer.value)
    expect(text(byBuyer.xml, '/ar:ApplicationResponse/cac:SenderParty/cac:PartyLegalEntity/cbc:RegistrationName')).toBe(buyer.name)
    expect(text(byBuyer.xml, '/ar:ApplicationResponse/cac:ReceiverParty/cbc:EndpointID')).toBe(seller.value)
    expect(texts(byBuyer.xml, '//cac:DocumentResponse/cac:RecipientParty')).toEqual([])
    expect(texts(byBuyer.xml, '//cac:DocumentReference/cbc:*')).toEqual(['F2025-0042', '2025-11-10', '380'])

    const bySeller = receipt(input('ENCAISSEE'))
    expect(text(bySeller.xml, '/ar:ApplicationResponse/cac:SenderParty/cbc:EndpointID')).toBe(hub.endpoint.value)
    expect(text(bySeller.xml, '//cac:DocumentResponse/cac:RecipientParty/cac:PartyName/cbc:Name')).toBe(buyer.name)

    const relayed = receipt(input('SUSPENDUE', { reason: 'x', recipient: { scheme: null, value: '11000201100010', name: 'Ministère' } }))
    expect(text(relayed.xml, '/ar:ApplicationResponse/cac:SenderParty/cbc:EndpointID')).toBe(hub.endpoint.value)
    expect(text(relayed.xml, '//cac:RecipientParty/cac:PartyIdentification/cbc:ID')).toBe('11000201100010')
  })
})

describe('Message Level Response content', () => {
  test('REJETEE: one line response per fatal finding then per warning, XPath or NA, RE/AB, BV/SV/BW', () => {
    const r = receipt(cases[0]![1])
    const lines = withDoc(r.xml, (d) => d.find('//cac:DocumentResponse/cac:LineResponse', NS).map((l) => ({
      lineId: l.get('cac:LineReference/cbc:LineID', NS)?.content,
      code: l.get('cac:Response/cbc:ResponseCode', NS)?.content,
      reason: l.get('cac:Response/cac:Status/cbc:StatusReasonCode', NS)?.content,
      description: l.get('cac:Response/cbc:Description', NS)?.content,
    })))
    expect(lines).toEqual([
      { lineId: rejectionFindings[0]!.location, code: 'RE', reason: 'BV', description: `[BR-CO-15] ${rejectionFindings[0]!.message}` },
      { lineId: 'NA', code: 'RE', reason: 'SV', description: `[FACTEUR-XSD] ${rejectionFindings[2]!.message} (line 12)` },
      { lineId: '/Invoice/cac:InvoiceLine[1]', code: 'RE', reason: 'BV', description: `[BR-16] ${rejectionFindings[4]!.message}` },
      { lineId: '/Invoice/cac:InvoiceLine[2]/cbc:Note', code: 'AB', reason: 'BW', description: `[PEPPOL-EN16931-R008] ${rejectionFindings[1]!.message}` },
    ])
    expect(text(r.xml, '//cac:DocumentResponse/cac:Response/cbc:Description')).toBe('REJETEE (213): validation: 3 fatal findings (BR-CO-15, FACTEUR-XSD, BR-16): …')
    // The message answered is the hub's document (its envelope), whatever the invoice number.
    expect(texts(r.xml, '//cac:DocumentReference/cbc:*')).toEqual(['doc-0001', '380'])
    expect(text(r.xml, '/ar:ApplicationResponse/cac:SenderParty/cbc:EndpointID')).toBe(hub.endpoint.value)
    expect(text(r.xml, '/ar:ApplicationResponse/cac:ReceiverParty/cbc:EndpointID')).toBe(seller.value)
  })

  test('REJETEE before parsing: a syntax violation, no type code, the hub’s id as the reference', () => {
    const r = receipt(cases[1]![1])
    expect(texts(r.xml, '//cac:LineResponse/cac:Response/cac:Status/cbc:StatusReasonCode')).toEqual(['SV'])
    expect(texts(r.xml, '//cac:LineResponse/cac:LineReference/cbc:LineID')).toEqual(['NA'])
    expect(texts(r.xml, '//cac:DocumentReference/cbc:*')).toEqual(['doc-0001'])
  })

  test('A_RECYCLER: RE with one line response per routing reason, the business term as LineID', () => {
    const r = receipt(cases[4]![1])
    expect(r.responseCode).toBe('RE')
    expect(texts(r.xml, '//cac:LineResponse/cac:LineReference/cbc:LineID')).toEqual(['BT-10', 'BT-13'])
    expect(texts(r.xml, '//cac:LineResponse/cac:Response/cbc:ResponseCode')).toEqual(['RE', 'RE'])
    expect(texts(r.xml, '//cac:LineResponse/cac:Response/cac:Status/cbc:StatusReasonCode')).toEqual(['BV', 'BV'])
    expect(texts(r.xml, '//cac:LineResponse/cac:Response/cbc:Description')[0]).toBe('[SERVICE_INCONNU] Le code service « SRV-X » n’existe pas pour la structure 11000201100010')
    expect(text(receipt(input('A_RECYCLER', { code: null })).xml, '//cac:DocumentResponse/cac:Response/cbc:Description'))
      .toBe('A_RECYCLER: to be corrected and resubmitted under the same invoice number')
  })

  test('MISE_A_DISPOSITION: AP and no line response', () => {
    const r = receipt(input('MISE_A_DISPOSITION'))
    expect(texts(r.xml, '//cac:LineResponse')).toEqual([])
    expect(text(r.xml, '//cac:DocumentResponse/cac:Response/cbc:Description')).toBe('MISE_A_DISPOSITION (203): delivered to the recipient')
  })

  test(`a flood of findings is cut at ${MAX_LINE_RESPONSES} line responses, and says so`, () => {
    const many = Array.from({ length: MAX_LINE_RESPONSES + 50 }, (_, n) => finding({ ruleId: `R-${n}`, severity: 'fatal', location: `/Invoice/cac:InvoiceLine[${n + 1}]` }))
    const r = receipt(input('REJETEE', { findings: many }))
    expect(texts(r.xml, '//cac:LineResponse')).toHaveLength(MAX_LINE_RESPONSES)
    expect(text(r.xml, '//cac:DocumentResponse/cac:Response/cbc:Description')).toMatch(new RegExp(`first ${MAX_LINE_RESPONSES} of ${MAX_LINE_RESPONSES + 50}`))
    expect(xsdErrors(r.xml)).toEqual([])
  })
})

describe('identity and dates', () => {
  test('the receipt id is `${documentId}-${sequence}`, unique per (document, sequence)', () => {
    const ids = new Set<string>()
    for (const documentId of ['doc-a', 'doc-b']) {
      for (const sequence of [1, 2, 3]) {
        for (const status of ['REJETEE', 'APPROUVEE']) ids.add(text(receipt(input(status, { documentId, sequence })).xml, '/ar:ApplicationResponse/cbc:ID')!)
      }
    }
    expect(ids.size).toBe(6)
    expect(ids).toContain('doc-b-3')
    expect(text(receipt(input('APPROUVEE', { documentId: 'd', sequence: 7 })).xml, '/ar:ApplicationResponse/cbc:ID')).toBe('d-7')
  })

  test('IssueDate and IssueTime are the status change in UTC; the output is deterministic', () => {
    const late = Date.UTC(2025, 11, 31, 23, 59, 59, 999)
    const r = receipt(input('APPROUVEE', { at: late }))
    expect(text(r.xml, '/ar:ApplicationResponse/cbc:IssueDate')).toBe('2025-12-31')
    expect(text(r.xml, '/ar:ApplicationResponse/cbc:IssueTime')).toBe('23:59:59Z')
    expect(text(r.xml, '//cac:DocumentResponse/cac:Response/cbc:EffectiveDate')).toBe('2025-12-31')
    expect(receipt(input('APPROUVEE', { at: late })).xml).toBe(r.xml)
    expect(() => buildReceipt(input('APPROUVEE', { at: Number.NaN }))).toThrow(/time/)
  })
})

describe('hostile text', () => {
  test('escapeXml escapes the five characters and drops what XML 1.0 cannot carry', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;')
    expect(escapeXml('a\u0000b\u001fc\uFFFEd\uD800e\u{1F4B6}')).toBe('abcde\u{1F4B6}')
  })

  test.each(cases.filter(([name]) => name.startsWith('hostile')))('%s: well-formed, and the text survives intact but for illegal characters', (_, i) => {
    const r = receipt(i)
    expect(r.xml).not.toContain('<script>')
    expect(withDoc(r.xml, (d) => d.root.name)).toBe('ApplicationResponse') // parses: well-formed
    const all = texts(r.xml, '//text()').join('\n')
    expect(all).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/)
    expect(all).toContain(hostileClean.trim())
  })

  test('the hostile reason reads back exactly (CR and tab preserved), in MLR and Invoice Response', () => {
    const mlr = receipt(cases.find(([n]) => n === 'hostile REJETEE')![1])
    expect(text(mlr.xml, '//cac:DocumentResponse/cac:Response/cbc:Description')).toBe(`REJETEE (213): ${hostileClean.trim()}`)
    expect(text(mlr.xml, '/ar:ApplicationResponse/cac:DocumentResponse/cac:DocumentReference/cbc:ID')).toBe(`doc-${hostileClean}`.trim())
    // An invalid BT-3 / BT-2 is left out rather than copied.
    expect(texts(mlr.xml, '//cac:DocumentReference/cbc:DocumentTypeCode')).toEqual([])
    // A finding whose message is only illegal characters still gets a description (no empty element).
    expect(texts(mlr.xml, '//cac:LineResponse/cac:Response/cbc:Description')[1]).toBe(`[X] no message (${hostileClean.trim()})`)
    const ir = receipt(cases.find(([n]) => n === 'hostile EN_LITIGE')![1])
    expect(text(ir.xml, '//cac:Response/cac:Status/cbc:StatusReason')).toBe(`EN_LITIGE (207): ${hostileClean.trim()}`)
    expect(text(ir.xml, '/ar:ApplicationResponse/cac:ReceiverParty/cac:PartyLegalEntity/cbc:RegistrationName')).toBe(hostileClean.trim())
  })
})
