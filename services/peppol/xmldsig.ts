// XML Signature (XMLDSig 1.0) as Peppol uses it, for SMP answers and AS4 messages: exclusive C14N, SHA-256
// digests, RSA-SHA256. Canonicalization is libxml2's own (xmlC14NExecute through libxml2-wasm), the C
// implementation xmlsec builds on: no hand-written C14N, and namespaces ordered by code point as the
// specification says (xml-crypto's localeCompare ordering breaks phase4's `S12`/`eb` prefixes — peppol-notes.md).
//
// Only what Peppol needs is accepted when verifying: any other algorithm, a reference the caller cannot
// resolve, or an id that is not unique is a failure with its reason, never a pass.
import { createHash, createSign, createVerify, type KeyObject } from 'node:crypto'
import { XmlDocument, XmlElement, type XmlNode } from 'libxml2-wasm'
import { XmlC14NMode } from 'libxml2-wasm/lib/c14n.mjs'
import { escapeXml } from '../kit/safe-xml.js'

export const DS = 'http://www.w3.org/2000/09/xmldsig#'
export const EC = 'http://www.w3.org/2001/10/xml-exc-c14n#'
export const alg = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  /** Inclusive C14N 1.0: what SMP signers (phoss-smp) use, and the default octet conversion of a node-set. */
  c14n: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  /** WS-Security SwA profile 1.1: the attachment's content (its bytes after the MIME headers) is digested. */
  attachmentContent: 'http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform',
} as const

const ns = { ds: DS, ec: EC }
const acceptedTransforms: string[] = [alg.excC14n, alg.c14n, alg.enveloped, alg.attachmentContent]
const modeOf = (algorithm: string) => (algorithm === alg.c14n ? XmlC14NMode.XML_C14N_1_0 : XmlC14NMode.XML_C14N_EXCLUSIVE_1_0)

/** libxml2-wasm creates a new wrapper per access: nodes are the same when they wrap the same libxml2 node. */
const nodeId = (node: XmlNode) => (node as unknown as { _nodePtr: number })._nodePtr
export const sameNode = (a: XmlNode, b: XmlNode) => nodeId(a) === nodeId(b)

/** C14N 1.0 (exclusive unless `algorithm` says inclusive; without comments) of an element's subtree, as UTF-8. */
export function canonicalSubtree(element: XmlElement, inclusivePrefixes: string[] = [], algorithm: string = alg.excC14n): Buffer {
  const mode = modeOf(algorithm)
  const text = element.canonicalizeToString({ mode, ...(mode === XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 ? { inclusiveNamespacePrefixes: inclusivePrefixes } : {}) })
  return Buffer.from(text, 'utf8')
}

/** The whole document, exclusive C14N: what an enveloped signature added later will digest. */
export const canonicalDocument = (doc: XmlDocument) => Buffer.from(doc.canonicalizeToString({ mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 }), 'utf8')

/**
 * The whole document without `signature` (the enveloped-signature transform), canonicalized. A reference whose
 * only transform is the enveloped one is converted to octets with inclusive C14N (XMLDSig §4.3.3.2).
 */
export function canonicalEnveloped(doc: XmlDocument, signature: XmlElement, inclusivePrefixes: string[] = [], algorithm: string = alg.excC14n): Buffer {
  const mode = modeOf(algorithm)
  const text = doc.canonicalizeToString({
    mode,
    ...(mode === XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 ? { inclusiveNamespacePrefixes: inclusivePrefixes } : {}),
    // libxml2-wasm cascades invisibility: hiding the Signature element hides its whole subtree.
    isVisible: (node) => !(node instanceof XmlElement && sameNode(node, signature)),
  })
  return Buffer.from(text, 'utf8')
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest()

export type Reference = { uri: string; transforms: string[]; digest: Buffer; inclusivePrefixes?: string[] }


function transformXml(p: string, algorithm: string, prefixes?: string[]) {
  const inner = algorithm === alg.excC14n && prefixes?.length ? `<ec:InclusiveNamespaces xmlns:ec="${EC}" PrefixList="${escapeXml(prefixes.join(' '))}"/>` : ''
  return `<${p}Transform Algorithm="${algorithm}">${inner}</${p}Transform>`
}

/**
 * A SignedInfo (exclusive C14N, RSA-SHA256, SHA-256 digests) with the namespace declared on itself, so its
 * exclusive canonical form is the same standing alone and inside the Signature it is later placed in.
 */
export function signedInfoXml(references: Reference[], options: { prefix?: string; inclusivePrefixes?: string[] } = {}): string {
  const p = options.prefix === undefined ? 'ds:' : options.prefix ? `${options.prefix}:` : ''
  const decl = p ? `xmlns:${p.slice(0, -1)}="${DS}"` : `xmlns="${DS}"`
  const c14nInner = options.inclusivePrefixes?.length ? `<ec:InclusiveNamespaces xmlns:ec="${EC}" PrefixList="${escapeXml(options.inclusivePrefixes.join(' '))}"/>` : ''
  const refs = references.map((r) =>
    `<${p}Reference URI="${escapeXml(r.uri)}"><${p}Transforms>${r.transforms.map((t) => transformXml(p, t, r.inclusivePrefixes)).join('')}</${p}Transforms>` +
    `<${p}DigestMethod Algorithm="${alg.sha256}"/><${p}DigestValue>${r.digest.toString('base64')}</${p}DigestValue></${p}Reference>`).join('')
  return `<${p}SignedInfo ${decl}><${p}CanonicalizationMethod Algorithm="${alg.excC14n}">${c14nInner}</${p}CanonicalizationMethod>` +
    `<${p}SignatureMethod Algorithm="${alg.rsaSha256}"/>${refs}</${p}SignedInfo>`
}

/** RSA-SHA256 over the exclusive canonical form of a SignedInfo given as text; base64. */
export function signatureValue(signedInfo: string, key: KeyObject, inclusivePrefixes: string[] = []): string {
  const doc = XmlDocument.fromString(signedInfo)
  try {
    return createSign('sha256').update(canonicalSubtree(doc.root, inclusivePrefixes)).sign(key, 'base64')
  } finally {
    doc.dispose()
  }
}

/** What a reference points at, given its URI and transforms; null when the caller does not know it. */
export type Dereference = (uri: string, transforms: { algorithm: string; inclusivePrefixes: string[] }[]) => Buffer | null

export type Verified = { ok: true; references: string[] } | { ok: false; reason: string }

const text = (el: XmlNode | null) => (el instanceof XmlElement ? el.content.trim() : '')
const attr = (el: XmlElement, name: string) => el.attrs.find((a) => a.name === name && !a.namespaceUri)?.value ?? null
const prefixList = (el: XmlNode | null) => (el instanceof XmlElement ? (attr(el, 'PrefixList') ?? '').split(/\s+/).filter(Boolean) : [])

/**
 * Checks a ds:Signature: only the algorithms above, every reference's digest equal to the digest of what
 * `dereference` gives for it, and the signature value over the SignedInfo canonicalized in place, with `key`.
 * `expectedUris` must all be referenced (what the caller relies on is signed), and each URI once.
 */
export function verifySignature(signature: XmlElement, key: KeyObject, dereference: Dereference, expectedUris: string[] = []): Verified {
  const signedInfo = signature.get('ds:SignedInfo', ns)
  if (!(signedInfo instanceof XmlElement)) return { ok: false, reason: 'the signature has no SignedInfo' }
  const c14n = signedInfo.get('ds:CanonicalizationMethod', ns)
  const c14nAlgorithm = c14n instanceof XmlElement ? attr(c14n, 'Algorithm') : null
  if (c14nAlgorithm !== alg.excC14n && c14nAlgorithm !== alg.c14n) return { ok: false, reason: `canonicalization must be ${alg.excC14n} or ${alg.c14n}` }
  const method = signedInfo.get('ds:SignatureMethod', ns)
  if (!(method instanceof XmlElement) || attr(method, 'Algorithm') !== alg.rsaSha256) return { ok: false, reason: `signature method must be ${alg.rsaSha256}` }
  const references = signedInfo.find('ds:Reference', ns).filter((r): r is XmlElement => r instanceof XmlElement)
  if (references.length === 0) return { ok: false, reason: 'the signature has no reference' }
  const seen: string[] = []
  for (const reference of references) {
    const uri = attr(reference, 'URI')
    if (uri === null) return { ok: false, reason: 'a reference has no URI' }
    if (seen.includes(uri)) return { ok: false, reason: `reference ${uri} appears twice` }
    seen.push(uri)
    const digestMethod = reference.get('ds:DigestMethod', ns)
    if (!(digestMethod instanceof XmlElement) || attr(digestMethod, 'Algorithm') !== alg.sha256) return { ok: false, reason: `reference ${uri}: digest method must be ${alg.sha256}` }
    const transforms = reference.find('ds:Transforms/ds:Transform', ns).filter((t): t is XmlElement => t instanceof XmlElement)
      .map((t) => ({ algorithm: attr(t, 'Algorithm') ?? '', inclusivePrefixes: prefixList(t.get('ec:InclusiveNamespaces', ns)) }))
    const unknown = transforms.find((t) => !acceptedTransforms.includes(t.algorithm))
    if (unknown) return { ok: false, reason: `reference ${uri}: transform ${unknown.algorithm || '(none)'} is not accepted` }
    const data = dereference(uri, transforms)
    if (data === null) return { ok: false, reason: `reference ${uri} does not point at anything this message carries` }
    const expected = Buffer.from(text(reference.get('ds:DigestValue', ns)), 'base64')
    if (expected.length !== 32 || !sha256(data).equals(expected)) return { ok: false, reason: `reference ${uri}: digest mismatch (the signed content was changed)` }
  }
  const missing = expectedUris.filter((u) => !seen.includes(u))
  if (missing.length) return { ok: false, reason: `the signature does not cover ${missing.join(', ')}` }
  const value = Buffer.from(text(signature.get('ds:SignatureValue', ns)).replace(/\s+/g, ''), 'base64')
  const canonical = canonicalSubtree(signedInfo, prefixList(c14n!.get('ec:InclusiveNamespaces', ns)), c14nAlgorithm)
  if (!createVerify('sha256').update(canonical).verify(key, value)) return { ok: false, reason: 'the signature value does not verify with the signer\'s key' }
  return { ok: true, references: seen }
}

/**
 * What a same-document reference (`""` or `#id`) of `doc` covers, after its transforms: the enveloped transform
 * (only for `""`, removing `signature`), then C14N (exclusive or inclusive; inclusive when none is named).
 * Null for anything else (an XPointer, an unknown id, transforms in another order).
 */
export function dereferenceInDocument(doc: XmlDocument, signature: XmlElement, uri: string, transforms: { algorithm: string; inclusivePrefixes: string[] }[]): Buffer | null {
  const names = transforms.map((t) => t.algorithm)
  const c14n = transforms.find((t) => t.algorithm === alg.excC14n || t.algorithm === alg.c14n)
  const algorithm = c14n?.algorithm ?? alg.c14n
  const prefixes = c14n?.inclusivePrefixes ?? []
  if (uri === '') {
    const shapes = [[alg.enveloped], [alg.enveloped, alg.excC14n], [alg.enveloped, alg.c14n]]
    if (!shapes.some((shape) => shape.length === names.length && shape.every((n, i) => n === names[i]))) return null
    return canonicalEnveloped(doc, signature, prefixes, algorithm)
  }
  if (!uri.startsWith('#') || names.some((n) => n !== alg.excC14n && n !== alg.c14n) || names.length > 1) return null
  const target = elementById(doc, uri.slice(1))
  return target ? canonicalSubtree(target, prefixes, algorithm) : null
}

/**
 * The element whose id attribute (wsu:Id, or an unqualified Id/ID/id) is `id`, when exactly one element has
 * it. Two elements with the same id are refused: a signature must not be moved onto a look-alike (XML
 * signature wrapping).
 */
export function elementById(doc: XmlDocument, id: string): XmlElement | null {
  if (!/^[A-Za-z_][\w.-]*$/.test(id)) return null
  const hits = doc.find(`//*[@*[local-name()='Id' or local-name()='ID' or local-name()='id'] = '${id}']`)
    .filter((n): n is XmlElement => n instanceof XmlElement)
  return hits.length === 1 ? hits[0]! : null
}
