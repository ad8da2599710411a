// A Chorus Pro connector reading the directory through the hub (structures/v1/rechercher, consulter,
// rechercher/services) and the structures its technical account may work for
// (transverses/v1/recuperer/structures/actives/*), as OCA, Pastell, go-choruspro and turbo124 call them
// (docs/chorus-pro-api-notes.md §7, §8) — on the real services.
import { beforeAll, describe, expect, test } from 'vitest'
import { randomUUID } from 'node:crypto'
import { api, dropFolder, hub, randomSiret, registerParticipant } from './helpers.js'

const admin = () => ({ key: hub().adminKey })

type Session = { login: string; passwordExpiresAt: string; call: (path: string, body: unknown) => Promise<{ status: number; contentType: string | null; json: any }> }

/** A partner's PISTE-like application, a technical account bound to `structures`, and a token, as a connector has them. */
async function connect(key: string, structures: string[]): Promise<Session> {
  const client = await api('POST', '/v1/cpro/clients', { key, body: {} })
  expect(client.status).toBe(201)
  const created = await api('POST', '/v1/cpro/accounts', { key, body: { structures } })
  expect(created.status).toBe(201)
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: client.json.clientId, client_secret: client.json.clientSecret, scope: 'openid' })
  const token = (await (await fetch(`${hub().url}/api/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })).json() as any).access_token
  const account = Buffer.from(`${created.json.login}:${created.json.password}`).toString('base64')
  return {
    login: created.json.login,
    passwordExpiresAt: created.json.passwordExpiresAt,
    call: async (path, body) => {
      const res = await fetch(`${hub().url}/cpro/${path}`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'cpro-account': account, 'content-type': 'application/json' }, body: JSON.stringify(body),
      })
      return { status: res.status, contentType: res.headers.get('content-type'), json: await res.json() as any }
    },
  }
}

const putStructure = async (siret: string, body: object) => expect((await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body })).status).toBe(201)

// Names unique to this run: the directory is shared with the other files.
const unique = () => `Cprostr${randomUUID().slice(0, 8)}`
const tag = unique()
const pageTag = unique()
const otherTag = unique()
const mairie = { siret: randomSiret(), name: `Mairie de ${tag}-sur-Mer` }
const agglo = { siret: randomSiret(), name: `Communauté d'agglomération ${tag.toUpperCase()}` }
const paged = Array.from({ length: 5 }, (_, i) => ({ siret: randomSiret(), name: `Paging ${pageTag} ${i + 1}` }))
let demo: Session

beforeAll(async () => {
  // The demo partner sends for 73282932000074 (services/hub/hub.ts): its account is bound to it.
  demo = await connect(hub().demoKey, ['73282932000074'])
  await putStructure(mairie.siret, {
    name: mairie.name, serviceRequired: true, commitmentRequired: false, paymentStatusManaged: true,
    services: [{ code: 'SERV_COMPTA', name: 'Comptabilité' }, { code: 'ANCIEN', name: 'Ancien service', active: false, commitmentRequired: true }],
  })
  await putStructure(agglo.siret, { name: agglo.name, active: false, commitmentRequired: true, paymentStatusManaged: false })
  for (const s of paged) await putStructure(s.siret, { name: s.name })
})

/** The one structure a SIRET search finds (OCA takes the answer only if there is exactly one). */
async function idOf(siret: string, session = demo): Promise<number> {
  const found = await session.call('structures/v1/rechercher', { structure: { identifiantStructure: siret, typeIdentifiantStructure: 'SIRET' } })
  expect(found.json.listeStructures).toHaveLength(1)
  return found.json.listeStructures[0].idStructureCPP
}

describe('structures/v1/rechercher', () => {
  test('finds a public structure by its SIRET, exactly one, as OCA and cnfilms search (and Pastell, with restreindreStructuresPrivees "")', async () => {
    const oca = await demo.call('structures/v1/rechercher', { structure: { identifiantStructure: mairie.siret, typeIdentifiantStructure: 'SIRET' } })
    expect(oca).toMatchObject({ status: 200, contentType: expect.stringMatching(/^application\/json/) })
    expect(oca.json).toEqual({
      codeRetour: 0, libelle: 'TRA_MSG_00.000',
      listeStructures: [{ idStructureCPP: expect.any(Number), identifiantStructure: mairie.siret, designationStructure: mairie.name, statut: 'ACTIVE', typeIdentifiantStructure: 'SIRET' }],
      parametresRetour: { pageCourante: 1, pages: 1, nbResultatsParPage: 100, total: 1 },
    })
    const pastell = await demo.call('structures/v1/rechercher', { structure: { identifiantStructure: mairie.siret }, restreindreStructuresPrivees: '' })
    expect(pastell.json.listeStructures).toEqual(oca.json.listeStructures)
    // The id is given once and kept.
    expect(await idOf(mairie.siret)).toBe(oca.json.listeStructures[0].idStructureCPP)
  })

  test('finds structures by name, ignoring case, and by status', async () => {
    const byName = await demo.call('structures/v1/rechercher', { structure: { raisonSocialeStructure: ` ${tag.toLowerCase()} ` }, parametres: { triColonne: 'IdentifiantStructure', triSens: 'Ascendant' } })
    expect(byName.json).toMatchObject({ codeRetour: 0, parametresRetour: { total: 2 } })
    expect(byName.json.listeStructures.map((s: any) => [s.identifiantStructure, s.statut])).toEqual(
      [[mairie.siret, 'ACTIVE'], [agglo.siret, 'INACTIVE']].sort(([a], [b]) => a!.localeCompare(b!)))
    // go-choruspro sends every criterion, the unused ones empty.
    const go = await demo.call('structures/v1/rechercher', {
      structure: { adresseCodePays: '', adresseCodePostal: '', adresseVille: '', estMOA: false, estMOAUniquement: false, identifiantStructure: '', libelleStructure: `${tag}-sur`, nomStructure: '', prenomStructure: '', raisonSocialeStructure: '', statutStructure: 'ACTIF', typeIdentifiantStructure: '', typeStructure: '' },
      restreindreStructuresPrivees: false, parametres: { triSense: 'Ascendant ' },
    })
    expect(go.json.listeStructures.map((s: any) => s.identifiantStructure)).toEqual([mairie.siret])
  })

  test('answers a search with no result with codeRetour 20000 (TRA_MSG_00.015), HTTP 200, an empty list and its paging', async () => {
    const empty = { codeRetour: 20000, libelle: 'TRA_MSG_00.015', listeStructures: [], parametresRetour: { pageCourante: 1, pages: 0, nbResultatsParPage: 100, total: 0 } }
    expect(await demo.call('structures/v1/rechercher', { structure: { identifiantStructure: randomSiret(), typeIdentifiantStructure: 'SIRET' } })).toMatchObject({ status: 200, json: empty })
    expect((await demo.call('structures/v1/rechercher', { structure: { identifiantStructure: mairie.siret, typeIdentifiantStructure: 'UE_HORS_FRANCE' } })).json).toEqual(empty)
    expect((await demo.call('structures/v1/rechercher', { structure: { raisonSocialeStructure: `${tag}%` } })).json).toEqual(empty)
  })

  test('pages the answer: the pages cover the matches once, in the order asked', async () => {
    const page = (n: number) => demo.call('structures/v1/rechercher', { structure: { raisonSocialeStructure: `Paging ${pageTag}` }, parametres: { pageResultatDemandee: n, nbResultatsParPage: 2, triColonne: 'raisonSocialeStructure', triSens: 'Descendant' } })
    const pages = await Promise.all([1, 2, 3].map(page))
    expect(pages.map((p) => p.json.parametresRetour)).toEqual([1, 2, 3].map((n) => ({ pageCourante: n, pages: 3, nbResultatsParPage: 2, total: 5 })))
    expect(pages.flatMap((p) => p.json.listeStructures.map((s: any) => s.designationStructure))).toEqual(paged.map((s) => s.name).reverse())
    // Past the last page: nothing more, the total still said.
    expect((await page(4)).json).toMatchObject({ codeRetour: 0, listeStructures: [], parametresRetour: { pageCourante: 4, pages: 3, total: 5 } })
  })
})

describe('structures/v1/consulter', () => {
  test('by idStructureCPP (OCA) or idStructure (go-choruspro), codeLangue in any case: the parameters from the directory\'s flags', async () => {
    const id = await idOf(mairie.siret)
    const oca = await demo.call('structures/v1/consulter', { idStructureCPP: id, codeLangue: 'FR' })
    expect(oca).toMatchObject({ status: 200 })
    expect(oca.json).toMatchObject({
      codeRetour: 0, libelle: 'GCU_MSG_01_000',
      informationGenerales: {
        idStructureCPP: id, identifiantStructure: mairie.siret, typeIdentifiantStructure: 'SIRET', libelleStructure: mairie.name, raisonSocialeStructure: mairie.name,
        structurePriveePublique: 'PUBLIQUE', listeStructureDupliquees: [],
        // Not a structure of the calling account: another's technical account is none of its business.
        dateExpirationMotPasseCompteTech: null,
      },
      parametres: { codeServiceDoitEtreRenseigne: true, numeroEJDoitEtreRenseigne: false, gestionNumeroEJOuCodeService: false, statutMiseEnPaiementNestPasRemonte: false },
      adressePostaleDuSiege: { adresse: null, codePostal: null, ville: null },
    })
    const go = await demo.call('structures/v1/consulter', { idStructure: String(id), codeLangue: 'fr' })
    expect(go.json).toEqual(oca.json)
    const other = await demo.call('structures/v1/consulter', { idStructureCPP: await idOf(agglo.siret) })
    expect(other.json.parametres).toMatchObject({ codeServiceDoitEtreRenseigne: false, numeroEJDoitEtreRenseigne: true, statutMiseEnPaiementNestPasRemonte: true })
  })
})

describe('structures/v1/rechercher/services', () => {
  test('lists a structure\'s services with their ids, active or not, paged', async () => {
    const idStructure = await idOf(mairie.siret)
    const all = await demo.call('structures/v1/rechercher/services', { idStructure, parametresRechercherServicesStructure: { nbResultatsParPage: 10000 } })
    expect(all.json).toEqual({
      codeRetour: 0, libelle: 'TRA_MSG_00.000',
      listeServices: [
        { idService: expect.any(Number), codeService: 'ANCIEN', libelleService: 'Ancien service', estActif: false, statutService: 'INACTIVE', dateDbtService: null, dateFinService: null },
        { idService: expect.any(Number), codeService: 'SERV_COMPTA', libelleService: 'Comptabilité', estActif: true, statutService: 'ACTIVE', dateDbtService: null, dateFinService: null },
      ],
      parametresRetour: { pageCourante: 1, pages: 1, nbResultatsParPage: 1000, total: 2 },
    })
    // As Pastell and cnfilms ask (the id alone), page by page, and the ids are kept.
    expect((await demo.call('structures/v1/rechercher/services', { idStructure })).json.listeServices).toEqual(all.json.listeServices)
    const second = await demo.call('structures/v1/rechercher/services', { idStructure: String(idStructure), parametresRechercherServicesStructure: { pageResultatDemandee: 2, nbResultatsParPage: 1 } })
    expect(second.json).toMatchObject({ listeServices: [all.json.listeServices[1]], parametresRetour: { pageCourante: 2, pages: 2, nbResultatsParPage: 1, total: 2 } })
  })

  test('a structure without services: the empty search answer', async () => {
    const none = await demo.call('structures/v1/rechercher/services', { idStructure: await idOf(agglo.siret) })
    expect(none).toMatchObject({ status: 200, json: { codeRetour: 20000, libelle: 'TRA_MSG_00.015', listeServices: [], parametresRetour: { total: 0, pages: 0 } } })
  })
})

describe('transverses/v1/recuperer/structures/actives', () => {
  test('fournisseur: the structures the account\'s partner sends for, named `identifiant` (not identifiantStructure), with the paging at the top', async () => {
    const answer = await demo.call('transverses/v1/recuperer/structures/actives/fournisseur', {})
    // Its name is the directory's, if another file registered it there; null otherwise.
    const [structure] = answer.json.listeStructures
    expect(answer.json).toEqual({
      codeRetour: 0, libelle: 'TRA_MSG_00.000',
      listeStructures: [{ idStructureCPP: expect.any(Number), identifiant: '73282932000074', designationStructure: structure.designationStructure }],
      pageCourante: 1, pages: 1, nbResultatsParPage: 1, total: 1,
    })
    expect(typeof structure.designationStructure === 'string' || structure.designationStructure === null).toBe(true)
  })

  test('for a partner receiving at a public structure and another address, and sending for a seller: each role its structures; its own structures are consulted and found', async () => {
    const [publique, ferme, adresse, vendeur] = [randomSiret(), randomSiret(), randomSiret(), randomSiret()]
    await putStructure(publique, { name: `Lycée ${otherTag}` })
    await putStructure(ferme, { name: `Ancienne régie ${otherTag}`, active: false })
    expect((await registerParticipant(`0009:${adresse}`, (await dropFolder()).endpoint, `Clinique ${otherTag}`)).status).toBeLessThan(300)
    const partner = await api('POST', '/v1/partners', { ...admin(), body: { name: `Opérateur ${otherTag}`, addresses: [`0009:${publique}`, `0009:${ferme}`, `0009:${adresse}`] } })
    expect(partner.status).toBe(201)
    expect((await api('PUT', `/v1/partners/${partner.json.id}/sellers`, { ...admin(), body: { sellers: [`0009:${vendeur}`] } })).status).toBe(200)
    const session = await connect(partner.json.apiKey, [vendeur, publique, ferme, adresse])

    const listed = async (role: string) => (await session.call(`transverses/v1/recuperer/structures/actives/${role}`, {})).json.listeStructures.map((s: any) => [s.identifiant, s.designationStructure])
    // It sends for its seller and from its own addresses (as routing lets it).
    expect(await listed('fournisseur')).toEqual([[vendeur, null], [publique, `Lycée ${otherTag}`], [ferme, `Ancienne régie ${otherTag}`], [adresse, `Clinique ${otherTag}`]])
    // It receives at the active public structure and at its address outside the directory; not at an inactive one.
    expect(await listed('destinataire')).toEqual([[publique, `Lycée ${otherTag}`], [adresse, `Clinique ${otherTag}`]])

    // Its structure outside the directory is a private one it may search and consult, with its password's expiry.
    const own = await session.call('structures/v1/rechercher', { structure: { identifiantStructure: adresse, typeIdentifiantStructure: 'SIRET' } })
    expect(own.json.listeStructures).toEqual([{ idStructureCPP: expect.any(Number), identifiantStructure: adresse, designationStructure: `Clinique ${otherTag}`, statut: 'ACTIVE', typeIdentifiantStructure: 'SIRET' }])
    const consulted = await session.call('structures/v1/consulter', { idStructureCPP: own.json.listeStructures[0].idStructureCPP })
    expect(consulted.json.informationGenerales).toMatchObject({ identifiantStructure: adresse, structurePriveePublique: 'PRIVEE', raisonSocialeStructure: `Clinique ${otherTag}` })
    expect(consulted.json.informationGenerales.dateExpirationMotPasseCompteTech).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/)
    expect(new Date(consulted.json.informationGenerales.dateExpirationMotPasseCompteTech).getTime()).toBe(new Date(session.passwordExpiresAt).getTime())
    expect(consulted.json.parametres).toMatchObject({ codeServiceDoitEtreRenseigne: false, numeroEJDoitEtreRenseigne: false })
    // Another partner's account does not see it.
    expect((await demo.call('structures/v1/rechercher', { structure: { identifiantStructure: adresse } })).json.codeRetour).toBe(20000)
    expect((await demo.call('structures/v1/consulter', { idStructureCPP: own.json.listeStructures[0].idStructureCPP })).status).toBe(400)
  })
})

describe('what a connector sends wrong', () => {
  test.each([
    ['structures/v1/consulter', { idStructureCPP: 'abc' }, /^idStructureCPP doit être un entier positif \(reçu "abc"\)$/],
    ['structures/v1/consulter', { codeLangue: 'FR' }, /^idStructureCPP \(ou idStructure\) est obligatoire/],
    ['structures/v1/consulter', { idStructureCPP: 1, codeLangue: 'klingon' }, /^codeLangue: FR ou EN/],
    ['structures/v1/consulter', { idStructureCPP: 9_000_000_000_000 }, /^aucune structure d'idStructureCPP 9000000000000/],
    ['structures/v1/rechercher/services', { idStructure: -1 }, /^idStructure doit être un entier positif/],
    ['structures/v1/rechercher/services', { idStructure: 1, parametresRechercherServicesStructure: { nbResultatsParPage: 'tous' } }, /^parametresRechercherServicesStructure\.nbResultatsParPage doit être un nombre entier/],
    ['structures/v1/rechercher', { structure: [] }, /^structure doit être un objet JSON/],
    ['structures/v1/rechercher', { structure: { typeIdentifiantStructure: 'SIREN' } }, /^structure\.typeIdentifiantStructure: SIRET, UE_HORS_FRANCE/],
    ['structures/v1/rechercher', { structure: { raisonSocialeStructure: 'x' }, parametres: { triSens: 'up' } }, /^parametres\.triSens: Ascendant ou Descendant/],
  ])('%s %j: HTTP 400 with codeRetour and a French libelle', async (path, body, libelle) => {
    const refused = await demo.call(path, body)
    expect({ status: refused.status, contentType: refused.contentType }).toEqual({ status: 400, contentType: expect.stringMatching(/^application\/json/) })
    expect(refused.json).toEqual({ codeRetour: 1, libelle: expect.stringMatching(libelle) })
  })
})
