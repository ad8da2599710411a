// A Chorus Pro connector's session against the hub (issue 13), written from the published field names and what real
// connectors send and read (docs/chorus-pro-api-notes.md): the PISTE token, the technical account, deposits of a UBL
// invoice and of a Factur-X, the flux reports (integrated and rejected), and the refusals a connector must be able
// to read — on the real services.
import { describe, expect, test, beforeAll } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { api, dropFolder, fixture, hub, postDocument, randomSiret, registerParticipant, waitForStatus, withBuyerAddress, withDb, withInvoiceNumber } from './helpers.js'
import { buildFacturX } from './facturx-pdf.js'

let token: string
let account: string
let login: string

type Session = { token: string; account: string; login: string }

/** What a connector sets up: a PISTE application and a technical account of the partner whose key is `key`. */
async function session(key: string, structures: string[]): Promise<Session> {
  const client = await api('POST', '/v1/cpro/clients', { key, body: {} })
  expect(client.status).toBe(201)
  const created = await api('POST', '/v1/cpro/accounts', { key, body: { structures } })
  expect(created.status).toBe(201)
  expect(created.json).toMatchObject({ login: expect.stringMatching(/^TECH_1_/), structures, password: expect.any(String) })
  // As connectors ask for it: form-encoded client_credentials, with scope=openid.
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: client.json.clientId, client_secret: client.json.clientSecret, scope: 'openid' })
  const res = await fetch(`${hub().url}/api/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })
  const answer = await res.json() as any
  expect(answer).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: 'openid' })
  return { token: answer.access_token, account: Buffer.from(`${created.json.login}:${created.json.password}`).toString('base64'), login: created.json.login }
}

const call = async (as: Session, path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${hub().url}/cpro/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${as.token}`, 'cpro-account': as.account, 'content-type': 'application/json;charset=utf-8', ...headers },
    body: JSON.stringify(body),
  })
  return { status: res.status, contentType: res.headers.get('content-type'), json: await res.json() as any }
}
const cpro = (path: string, body: unknown, headers: Record<string, string> = {}) => call({ token, account, login }, path, body, headers)

/** consulterCR until the flux is in a final state (Chorus Pro's connectors poll so). */
async function finalReport(numeroFluxDepot: string) {
  for (const started = Date.now(); Date.now() - started < 60_000;) {
    const cr = await cpro('transverses/v1/consulterCR', { numeroFluxDepot })
    if (['IN_INTEGRE', 'IN_REJETE', 'IN_INTEGRE_PARTIEL'].includes(cr.json.etatCourantFlux)) return cr
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`flux ${numeroFluxDepot} not final after 60 s`)
}

/** A fixture for a fresh buyer with a drop folder. */
async function forNewBuyer(file: string, fixtureBuyer: string) {
  const siret = randomSiret()
  const inbox = await dropFolder()
  expect((await registerParticipant(`0009:${siret}`, inbox.endpoint)).status).toBe(201)
  return { bytes: withInvoiceNumber(withBuyerAddress(await fixture(file), fixtureBuyer, siret)), inbox }
}

beforeAll(async () => {
  // The partner (the demo partner of the hub, which sends for 73282932000074) makes its PISTE-like application and
  // its technical account, bound to its structure.
  ({ token, account, login } = await session(hub().demoKey, ['73282932000074']))
})

describe('a Chorus Pro connector', () => {
  test('deposits a UBL invoice (deposer/flux) and follows its flux to IN_INTEGRE; the recipient gets the invoice', async () => {
    const { bytes, inbox } = await forNewBuyer('ubl-invoice.xml', '21750001600019')
    const deposit = await cpro('factures/v1/deposer/flux', { fichierFlux: bytes.toString('base64'), nomFichier: 'UBL_chorus_facture_1.xml', syntaxeFlux: 'IN_DP_E1_UBL_INVOICE', avecSignature: false })
    expect(deposit.status).toBe(200)
    expect(deposit.json).toEqual({ codeRetour: 0, libelle: 'GCU_MSG_01_000', numeroFluxDepot: expect.stringMatching(/^CPP[0-9]{22}$/), dateDepot: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), syntaxeFlux: 'IN_DP_E1_UBL_INVOICE' })
    const cr = await finalReport(deposit.json.numeroFluxDepot)
    expect(cr.json).toMatchObject({
      codeRetour: 0, libelle: 'TRA_MSG_00.000', numeroFluxDepot: deposit.json.numeroFluxDepot, etatCourantFlux: 'IN_INTEGRE', nomFichierFlux: 'UBL_chorus_facture_1.xml',
      dateDepotFlux: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/), dateHeureEtatCourantFlux: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/),
    })
    const detail = await cpro('transverses/v1/consulterCRDetaille', { numeroFluxDepot: deposit.json.numeroFluxDepot })
    expect(detail.json).toMatchObject({ codeRetour: 0, etatCourantDepotFlux: 'IN_INTEGRE', listeErreurDP: [], listeErreurTechnique: [], codeInterfaceDepotFlux: 'IN_DP_E1_UBL_INVOICE' })
    const document = (await withDb((c) => c.query('SELECT document_id FROM cpro_flux WHERE numero = $1', [deposit.json.numeroFluxDepot]))).rows[0].document_id
    expect(await readFile(join(inbox.dir, `${document}.xml`))).toEqual(bytes)
  })

  test('deposits a Factur-X (IN_DP_E2_CII_FACTURX): integrated, and the PDF delivered as it came', async () => {
    const { bytes, inbox } = await forNewBuyer('cii-invoice.xml', '21690123100011')
    const pdf = await buildFacturX(bytes)
    const deposit = await cpro('factures/v1/deposer/flux', { fichierFlux: pdf.toString('base64'), nomFichier: 'FX_chorus_facture.pdf', syntaxeFlux: 'IN_DP_E2_CII_FACTURX', avecSignature: false, idUtilisateurCourant: 0 })
    expect(deposit.json).toMatchObject({ codeRetour: 0, syntaxeFlux: 'IN_DP_E2_CII_FACTURX' })
    expect((await finalReport(deposit.json.numeroFluxDepot)).json.etatCourantFlux).toBe('IN_INTEGRE')
    const document = (await withDb((c) => c.query('SELECT document_id FROM cpro_flux WHERE numero = $1', [deposit.json.numeroFluxDepot]))).rows[0].document_id
    expect(await readFile(join(inbox.dir, `${document}.pdf`))).toEqual(pdf)
  })

  test('reads a rejected flux: IN_REJETE, and the detailed report names the invoice (numeroDP) and the broken rules', async () => {
    const { bytes } = await forNewBuyer('ubl-invoice-invalid-totals.xml', '21750001600019')
    const number = /<cbc:ID>([^<]+)<\/cbc:ID>/.exec(bytes.toString('utf8'))![1]
    const deposit = await cpro('factures/v1/deposer/flux', { fichierFlux: bytes.toString('base64'), nomFichier: 'rejet.xml', syntaxeFlux: 'IN_DP_E1_UBL_INVOICE' })
    expect((await finalReport(deposit.json.numeroFluxDepot)).json.etatCourantFlux).toBe('IN_REJETE')
    const detail = await cpro('transverses/v1/consulterCRDetaille', { numeroFluxDepot: deposit.json.numeroFluxDepot, syntaxeFlux: 'IN_DP_E1_UBL_INVOICE' })
    expect(detail.json.etatCourantDepotFlux).toBe('IN_REJETE')
    expect(detail.json.listeErreurDP).toEqual(expect.arrayContaining([
      { identifiantFournisseur: '73282932000074', identifiantDestinataire: expect.stringMatching(/^\d{14}$/), numeroDP: number, libelleErreurDP: expect.stringContaining('BR-CO-15') },
    ]))
  })

  test('gets a refusal it can read: HTTP 400, codeRetour and libelle', async () => {
    const ubl = await fixture('ubl-invoice.xml')
    const refused = async (body: unknown, text: RegExp) => {
      const r = await cpro('factures/v1/deposer/flux', body)
      expect({ status: r.status, contentType: r.contentType }).toEqual({ status: 400, contentType: expect.stringMatching(/^application\/json/) })
      expect(r.json).toEqual({ codeRetour: expect.any(Number), libelle: expect.stringMatching(text) })
      expect(r.json.codeRetour).not.toBe(0)
    }
    await refused({ fichierFlux: ubl.toString('base64'), nomFichier: 'f.xml', syntaxeFlux: 'IN_DP_E2_CII_MIN_16B' }, /IN_DP_E2_CII_MIN_16B n'est pas prise en charge/)
    await refused({ fichierFlux: ubl.toString('base64'), nomFichier: 'f.xml', syntaxeFlux: 'IN_DP_E1_CII_16B' }, /n'est pas a UN\/CEFACT CII D16B invoice.*ubl-invoice/)
    await refused({ fichierFlux: ubl.toString('base64'), syntaxeFlux: 'IN_DP_E1_UBL_INVOICE' }, /nomFichier est obligatoire/)
    await refused({ fichierFlux: 'not base64!', nomFichier: 'f.xml', syntaxeFlux: 'IN_DP_E1_UBL_INVOICE' }, /fichierFlux/)
    await refused({ fichierFlux: Buffer.from('<Invoice').toString('base64'), nomFichier: 'f.xml', syntaxeFlux: 'IN_DP_E1_UBL_INVOICE' }, /le fichier est refusé: .*not well-formed/)
    const notJson = await fetch(`${hub().url}/cpro/transverses/v1/consulterCR`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'cpro-account': account, 'content-type': 'application/json' }, body: '{"numeroFluxDepot": ' })
    expect({ status: notJson.status, json: await notJson.json() }).toEqual({ status: 400, json: { codeRetour: 1, libelle: expect.stringContaining("n'est pas du JSON lisible") } })
    const unknown = await cpro('transverses/v1/consulterCR', { numeroFluxDepot: 'CPP0000000000000000000000' })
    expect({ status: unknown.status, codeRetour: unknown.json.codeRetour }).toEqual({ status: 400, codeRetour: 1 })
  })

  test('is told when its token or technical account will not do (401), and its expired password is reset by the partner', async () => {
    expect((await cpro('transverses/v1/consulterCR', {}, { authorization: 'Bearer nope' })).status).toBe(401)
    const wrong = await cpro('transverses/v1/consulterCR', {}, { 'cpro-account': Buffer.from(`${login}:wrong`).toString('base64') })
    expect(wrong).toMatchObject({ status: 401, json: { error: 'invalid_account' } })
    await withDb((c) => c.query(`UPDATE cpro_accounts SET password_expires_at = now() - interval '1 day' WHERE login = $1`, [login]))
    const expired = await cpro('transverses/v1/consulterCR', { numeroFluxDepot: 'x' })
    expect(expired).toMatchObject({ status: 401, json: { libelle: expect.stringContaining('expired') } })
    const reset = await api('POST', `/v1/cpro/accounts/${encodeURIComponent(login)}/password`)
    expect(reset.status).toBe(200)
    expect(new Date(reset.json.passwordExpiresAt).getTime()).toBeGreaterThan(Date.now() + 400 * 86_400_000)
    account = Buffer.from(`${login}:${reset.json.password}`).toString('base64')
    expect((await cpro('transverses/v1/consulterCR', { numeroFluxDepot: 'x' })).status).toBe(400)
    // A structure the partner does not send for cannot be bound to its account.
    expect((await api('POST', '/v1/cpro/accounts', { body: { structures: [randomSiret()] } })).status).toBe(400)
  })

  test('checks the service with health-check, and is told plainly what the hub does not offer yet', async () => {
    const health = await fetch(`${hub().url}/cpro/transverses/v1/health-check`, { headers: { authorization: `Bearer ${token}` } })
    expect(await health.json()).toEqual({ body: 'OK', statusCode: 'OK', statusCodeValue: 200 })
    const missing = await cpro('transverses/v1/recuperer/tauxtva', {})
    expect(missing).toMatchObject({ status: 404, json: { codeRetour: 404, libelle: expect.stringContaining('/cpro/transverses/v1/recuperer/tauxtva') } })
    // A base URL configured with a trailing slash: //cpro/… is the same call.
    const doubled = await fetch(`${hub().url}//cpro/transverses/v1/health-check`, { headers: { authorization: `Bearer ${token}` } })
    expect(doubled.status).toBe(200)
  })
  test('the supplier finds its invoice (rechercher/fournisseur by numeroFluxDepot) and its history; the public buyer finds it, processes it (traiter/recue), and the supplier sees that', async () => {
    // A public structure and the partner that receives for it, with its own connector.
    const siret = randomSiret()
    const admin = { key: hub().adminKey }
    expect((await api('PUT', `/v1/directory/structures/${siret}`, { ...admin, body: { name: `Mairie ${siret}`, endpoint: null } })).status).toBe(201)
    const mairie = await api('POST', '/v1/partners', { ...admin, body: { name: `Mairie ${siret}`, addresses: [`0009:${siret}`] } })
    const buyer = await session(mairie.json.apiKey, [siret])

    const bytes = withInvoiceNumber(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
    const number = /<cbc:ID>([^<]+)<\/cbc:ID>/.exec(bytes.toString('utf8'))![1]
    const deposit = await cpro('factures/v1/deposer/flux', { fichierFlux: bytes.toString('base64'), nomFichier: 'f.xml', syntaxeFlux: 'IN_DP_E1_UBL_INVOICE' })
    expect((await finalReport(deposit.json.numeroFluxDepot)).json.etatCourantFlux).toBe('IN_INTEGRE')

    // The supplier: as OCA does after IN_INTEGRE, the invoices of the flux, then each one's history.
    const found = await cpro('factures/v1/rechercher/fournisseur', { numeroFluxDepot: deposit.json.numeroFluxDepot, rechercheFactureParFournisseur: { pageResultatDemandee: 1, nbResultatsParPage: 10 } })
    expect(found.json).toMatchObject({ codeRetour: 0, parametresRetour: { pageCourante: 1, pages: 1, nbResultatsParPage: 10, total: 1 } })
    expect(found.json.listeFactures).toEqual([expect.objectContaining({
      identifiantFactureCPP: expect.any(Number), numeroFacture: number, statut: 'MISE_A_DISPOSITION', typeFacture: 'FACTURE', codeDestinataire: siret,
      codeFournisseur: '73282932000074', montantTTC: 1500, devise: 'EUR', numeroFluxDepot: deposit.json.numeroFluxDepot, dateDepot: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    })])
    const idFacture = found.json.listeFactures[0].identifiantFactureCPP

    // The buyer: its received invoices, then its processing; a refusal needs a motif; a step the lifecycle does not allow is refused.
    const received = await call(buyer, 'factures/v1/rechercher/recipiendaire', { paramRecherche: { pageResultatDemandee: 1, nbResultatsParPage: 50, triSens: 'Descendant' } })
    expect(received.json).toMatchObject({ codeRetour: 0, pageCourante: 1, pages: 1, total: 1, listeFactures: [expect.objectContaining({ idFacture, numeroFacture: number, statut: 'MISE_A_DISPOSITION' })] })
    expect((await call(buyer, 'factures/v1/traiter/recue', { idFacture, nouveauStatut: 'REJETEE', motif: '', numeroDPMandat: '' })).json.libelle).toMatch(/motif/)
    const done = await call(buyer, 'factures/v1/traiter/recue', { idFacture, nouveauStatut: 'SERVICE_FAIT', motif: '', numeroDPMandat: '' })
    expect(done).toMatchObject({ status: 200, json: { codeRetour: 0, idFacture, nouveauStatut: 'SERVICE_FAIT', numeroFacture: number, dateTraitement: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) } })
    const backwards = await call(buyer, 'factures/v1/traiter/recue', { idFacture, nouveauStatut: 'SUSPENDUE', motif: 'pièce manquante' })
    expect(backwards).toMatchObject({ status: 400, json: { libelle: expect.stringContaining('SERVICE_FAIT → SUSPENDUE') } })
    // Only the recipient processes it.
    expect((await cpro('factures/v1/traiter/recue', { idFacture, nouveauStatut: 'MANDATEE' })).json.libelle).toMatch(/reçue/)

    const history = await cpro('factures/v1/consulter/historique', { idFacture })
    expect(history.json).toMatchObject({ codeRetour: 0, idFacture, numeroFacture: number, statutCourantCode: 'SERVICE_FAIT' })
    // Newest first; the reform's lifecycle had the buyer take the invoice in charge before SERVICE_FAIT: recorded too.
    expect(history.json.historiquesDesStatuts.histoStatut.map((h: any) => h.histoStatutCode)).toEqual(['SERVICE_FAIT', 'PRISE_EN_COMPTE_DESTINATAIRE', 'MISE_A_DISPOSITION', 'DEPOSEE'])
    expect(history.json.historiquesDesStatuts.histoStatut[0].histoStatutDatePassage).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/)

    // Its details, for the supplier and for the buyer (the supplier is not its recipient).
    const details = await cpro('factures/v1/consulter/fournisseur', { identifiantFactureCPP: idFacture })
    expect(details.json).toMatchObject({ codeRetour: 0, facture: {
      identifiantFactureCPP: idFacture, numeroFacture: number, statutFacture: 'SERVICE_FAIT', destinataire: { codeDestinataire: siret, codeServiceExecutant: 'SERV-FIN-01' },
      fournisseur: { codeFournisseur: '73282932000074', typeIdentifiantFournisseur: 'SIRET' }, references: { dateFacture: '2026-11-20', codeDeviseFacture: 'EUR', numeroBonCommande: 'EJ-2026-000042' },
      montantTotal: { montantHtTotal: 1250, montantTVA: 250, montantTtcTotal: 1500, montantAPayer: 1500 },
    } })
    expect(details.json.facture.lignesDePoste.lignePoste).toHaveLength(2)
    expect((await call(buyer, 'factures/v1/consulter/recipiendaire', { identifiantFactureCPP: idFacture })).json.facture.numeroFacture).toBe(number)
    expect((await cpro('factures/v1/consulter/recipiendaire', { identifiantFactureCPP: idFacture })).status).toBe(400)

    // A second invoice, which the buyer suspends and the supplier completes; then both downloaded at once.
    const second = withInvoiceNumber(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
    const flux2 = await cpro('factures/v1/deposer/flux', { fichierFlux: second.toString('base64'), nomFichier: 'f2.xml', syntaxeFlux: 'IN_DP_E1_UBL_INVOICE' })
    expect((await finalReport(flux2.json.numeroFluxDepot)).json.etatCourantFlux).toBe('IN_INTEGRE')
    const id2 = (await cpro('factures/v1/rechercher/fournisseur', { numeroFluxDepot: flux2.json.numeroFluxDepot })).json.listeFactures[0].identifiantFactureCPP
    expect((await call(buyer, 'factures/v1/traiter/recue', { idFacture: id2, nouveauStatut: 'SUSPENDUE', motif: 'bon de livraison manquant' })).json.codeRetour).toBe(0)
    expect((await cpro('factures/v1/completer', { identifiantFactureCPP: id2, commentaire: 'livré le 18/11, BL n° 4411', pieceJointeComplementaire: [] })).json).toMatchObject({ codeRetour: 0, identifiantFactureCPP: id2 })
    expect((await cpro('factures/v1/consulter/historique', { idFacture: id2 })).json.statutCourantCode).toBe('COMPLETEE')
    expect((await cpro('factures/v1/recycler', { identifiantFactureCPP: id2 })).json.libelle).toMatch(/déposez la facture corrigée/)

    const one = await call(buyer, 'factures/v1/telecharger/groupe', { format: 'PIVOT', listeFacture: [{ idFacture }] })
    expect(Buffer.from(one.json.fichierResultat, 'base64')).toEqual(bytes)
    const pdf = await call(buyer, 'factures/v1/telecharger/groupe', { format: 'PDF', listeFacture: [{ idFacture }] })
    expect(Buffer.from(pdf.json.fichierResultat, 'base64').subarray(0, 5).toString()).toBe('%PDF-')
    const both = Buffer.from((await call(buyer, 'factures/v1/telecharger/groupe', { format: 'PIVOT', listeFacture: [{ idFacture }, { idFacture: id2 }] })).json.fichierResultat, 'base64')
    expect(both.subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'))
    expect(both.includes(bytes)).toBe(true)
    expect(both.includes(second)).toBe(true)

    // An empty search is codeRetour 20000 (TRA_MSG_00.015), HTTP 200, its paging filled (Pastell reads it so).
    const none = await call(buyer, 'factures/v1/rechercher/recipiendaire', { numeroFacture: 'no-such-invoice', paramRecherche: { pageResultatDemandee: 1, nbResultatsParPage: 10 } })
    expect(none).toMatchObject({ status: 200, json: { codeRetour: 20000, libelle: 'TRA_MSG_00.015', pageCourante: 1, pages: 1, total: 0, listeFactures: [] } })
    // Another partner's connector does not see the invoice at all.
    const elsewhere = randomSiret()
    const stranger = await session((await api('POST', '/v1/partners', { ...admin, body: { name: `Autre ${elsewhere}`, addresses: [`0009:${elsewhere}`] } })).json.apiKey, [elsewhere])
    expect((await call(stranger, 'factures/v1/consulter/historique', { idFacture })).json).toEqual({ codeRetour: 1, libelle: `aucune facture ${idFacture} pour ce compte` })
  })
})
