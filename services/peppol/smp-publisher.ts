// The hub's own static SMP (SMP 1.x read side): for every participant that receives through this hub — a
// B2B participant of the directory (not one marked `peppol:`, which receives elsewhere), or a public structure
// (0009:<SIRET>) — the document types it takes over
// Peppol, at the hub's AS4 URL with the hub's AP certificate, signed with the SMP key. Enough for a peer on
// a test network or on one machine to find the hub; a production SMP also registers its participants in the
// SML (not done here: operators use their SMP provider for that).
import type { KeyObject } from 'node:crypto'
import { resolve } from 'node:path'
import type { Config } from '../kit/config.js'
import type { Db } from '../kit/db.js'
import { FacteurError } from '../kit/errors.js'
import { checkChain, loadIdentity, type PeppolIdentity } from './pki.js'
import { DOCTYPE_SCHEME, PARTICIPANT_SCHEME, documentTypeId, processId, type PeppolId } from './identifiers.js'
import { AS4_TRANSPORT, ID_NS, SMP_NS, serviceMetadataUrl, signedServiceMetadataXml } from './smp.js'
import { escapeXml } from '../kit/safe-xml.js'

export const PEPPOL_BIS_BILLING = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0'
export const BILLING_PROCESS = processId('urn:fdc:peppol.eu:2017:poacc:billing:01:1.0')

/** What the hub receives over Peppol: Peppol BIS Billing 3.0 invoices and credit notes in UBL. */
export const receivedDocumentTypes: PeppolId[] = [documentTypeId('ubl-invoice', PEPPOL_BIS_BILLING), documentTypeId('ubl-creditnote', PEPPOL_BIS_BILLING)]

/**
 * Whether a participant receives through this hub: a directory participant (addresses are stored lower case,
 * participants.ts) that is not marked `peppol:` (those receive elsewhere), or an active public structure
 * (0009:<SIRET>, Chorus Pro's scheme). What the hub's SMP publishes and what POST /as4 accepts.
 */
export async function receivesHere(db: Db, participant: PeppolId): Promise<boolean> {
  const address = participant.value.toLowerCase()
  const siret = /^0009:([0-9]{14})$/.exec(address)?.[1] ?? null
  const { rows } = await db.query(
    `SELECT 1 FROM participants WHERE address = $1 AND endpoint <> 'peppol:' UNION ALL SELECT 1 FROM structures WHERE siret = $2 AND active LIMIT 1`, [address, siret])
  return rows.length > 0
}

export type SmpPublisherOptions = {
  db: Db
  as4Url: string
  /** The hub's AP certificate (DER): senders encrypt for it and check its receipts with it. */
  apCertificate: Buffer
  signer: { key: KeyObject; certificate: Buffer }
  technicalContact: string
}

export type SmpPublisher = {
  /** The signed ServiceMetadata, or null when the hub does not receive this document type for this participant. */
  serviceMetadata(participant: PeppolId, documentType: PeppolId): Promise<string | null>
  /** The ServiceGroup listing the participant's document types, or null when the hub does not serve it. */
  serviceGroup(participant: PeppolId, baseUrl: string): Promise<string | null>
}


export function createSmpPublisher(options: SmpPublisherOptions): SmpPublisher {
  const served = (participant: PeppolId) => participant.scheme === PARTICIPANT_SCHEME && receivesHere(options.db, participant)
  const accepted = (documentType: PeppolId) => documentType.scheme === DOCTYPE_SCHEME && receivedDocumentTypes.some((d) => d.value === documentType.value)

  return {
    async serviceMetadata(participant, documentType) {
      if (!accepted(documentType) || !(await served(participant))) return null
      return signedServiceMetadataXml({
        participant, documentType,
        processes: [{ process: BILLING_PROCESS, endpoints: [{
          transportProfile: AS4_TRANSPORT, address: options.as4Url, certificate: options.apCertificate,
          activation: null, expiration: null, description: 'Facteur access point', technicalContact: options.technicalContact,
        }] }],
      }, options.signer)
    },
    async serviceGroup(participant, baseUrl) {
      if (!(await served(participant))) return null
      const refs = receivedDocumentTypes.map((d) => `<smp:ServiceMetadataReference href="${escapeXml(serviceMetadataUrl(baseUrl, participant, d))}"/>`).join('')
      return `<?xml version="1.0" encoding="UTF-8"?>\n<smp:ServiceGroup xmlns:smp="${SMP_NS}" xmlns:id="${ID_NS}">` +
        `<id:ParticipantIdentifier scheme="${PARTICIPANT_SCHEME}">${escapeXml(participant.value)}</id:ParticipantIdentifier>` +
        `<smp:ServiceMetadataReferenceCollection>${refs}</smp:ServiceMetadataReferenceCollection></smp:ServiceGroup>\n`
    },
  }
}

/**
 * The publisher the settings ask for: null unless Peppol is on with an AS4 URL to publish and an SMP keystore,
 * whose certificate must chain to FACTEUR_PEPPOL_SMP_CA (a peer would refuse the answers otherwise).
 */
export function smpPublisherFromConfig(config: Config, db: Db, peppol: PeppolIdentity | null, at = new Date()): SmpPublisher | null {
  if (!peppol || !config.peppolAs4Url || !config.peppolSmpKeystore) return null
  let signer
  try {
    signer = loadIdentity({ keystore: resolve(config.peppolSmpKeystore), keystorePassword: config.peppolSmpKeystorePassword ?? '' }, at)
  } catch (error) {
    throw new FacteurError('CONFIG_INVALID', `${(error as Error).message} (FACTEUR_PEPPOL_SMP_KEYSTORE, FACTEUR_PEPPOL_SMP_KEYSTORE_PASSWORD)`, { cause: error })
  }
  const chained = checkChain(signer.certificate, peppol.smpCAs, at, { intermediates: signer.chain, usage: 'smp' })
  if (!chained.ok) throw new FacteurError('CONFIG_INVALID', `the SMP certificate of FACTEUR_PEPPOL_SMP_KEYSTORE fails against FACTEUR_PEPPOL_SMP_CA (${chained.reason}): ${chained.message}`)
  return createSmpPublisher({
    db, as4Url: config.peppolAs4Url, apCertificate: peppol.identity.certificate.der,
    signer: { key: signer.privateKey, certificate: signer.certificate.der }, technicalContact: config.hubName,
  })
}
