import { describe, expect, test } from 'vitest'
import { containsPattern, orderBy, pageInfo, PAGE_SIZE, readId, readLanguage, readPaging, readStructureCriteria, structureParametres } from './cpro-structures.js'

const paging = (raw: unknown) => readPaging(raw, 'parametres')

describe('the paging of a Chorus Pro search', () => {
  test.each([
    ['absent', undefined, { page: 1, perPage: PAGE_SIZE.default, column: null, descending: false }],
    ['null', null, { page: 1, perPage: PAGE_SIZE.default, column: null, descending: false }],
    ['as OCA asks for services (10 000 a page): capped', { nbResultatsParPage: 10000 }, { page: 1, perPage: PAGE_SIZE.max, column: null, descending: false }],
    ['numeric strings', { pageResultatDemandee: '3', nbResultatsParPage: ' 25 ' }, { page: 3, perPage: 25, column: null, descending: false }],
    ['page 0 and size 0 (a PHP client\'s zeros): page 1, the default size', { pageResultatDemandee: 0, nbResultatsParPage: 0 }, { page: 1, perPage: PAGE_SIZE.default, column: null, descending: false }],
    ['negative numbers clamped', { pageResultatDemandee: -4, nbResultatsParPage: -1 }, { page: 1, perPage: PAGE_SIZE.default, column: null, descending: false }],
    ['a fractional size truncated', { nbResultatsParPage: 2.7 }, { page: 1, perPage: 2, column: null, descending: false }],
    ['go-choruspro\'s triSense and "Ascendant " with a trailing space', { triSense: 'Ascendant ', triColonne: ' raisonSociale ' }, { page: 1, perPage: PAGE_SIZE.default, column: 'raisonSociale', descending: false }],
    ['Descendant', { triSens: 'Descendant' }, { page: 1, perPage: PAGE_SIZE.default, column: null, descending: true }],
    ['empty strings are absent values', { pageResultatDemandee: '', nbResultatsParPage: '', triSens: '', triColonne: '' }, { page: 1, perPage: PAGE_SIZE.default, column: null, descending: false }],
  ])('%s', (_name, raw, expected) => {
    expect(paging(raw)).toEqual({ ok: true, value: expected })
  })

  test('a huge page number stays a number PostgreSQL takes as an offset', () => {
    const read = paging({ pageResultatDemandee: 1e30 })
    expect(read.ok && Number.isSafeInteger((read.value.page - 1) * read.value.perPage)).toBe(true)
  })

  test.each([
    ['a page that is not a number', { pageResultatDemandee: 'deux' }, 'parametres.pageResultatDemandee doit être un nombre entier (reçu "deux")'],
    ['a size that is an object', { nbResultatsParPage: {} }, 'parametres.nbResultatsParPage doit être un nombre entier (reçu {})'],
    ['an unknown sort order', { triSens: 'haut' }, 'parametres.triSens: Ascendant ou Descendant (reçu "haut")'],
    ['a sort column that is not text', { triColonne: 3 }, 'parametres.triColonne doit être une chaîne (le nom d\'une colonne)'],
    ['paging that is not an object', 'page 2', 'parametres doit être un objet JSON (pageResultatDemandee, nbResultatsParPage, triColonne, triSens)'],
  ])('refuses %s, saying which field', (_name, raw, message) => {
    expect(paging(raw)).toEqual({ ok: false, message })
  })

  test('the answer\'s paging: pages rounded up, none for no result', () => {
    expect(pageInfo(218, { page: 1, perPage: 10 })).toEqual({ pageCourante: 1, pages: 22, nbResultatsParPage: 10, total: 218 })
    expect(pageInfo(0, { page: 1, perPage: 100 })).toEqual({ pageCourante: 1, pages: 0, nbResultatsParPage: 100, total: 0 })
  })

  test('the sort column is chosen from a fixed list, never from the caller\'s text, with the key as tie-break', () => {
    const columns: [RegExp, string][] = [[/identifiant/i, 'siret'], [/raison/i, 'lower(name)']]
    const read = (raw: unknown) => { const p = paging(raw); if (!p.ok) throw new Error(p.message); return p.value }
    expect(orderBy(read({ triColonne: 'IdentifiantStructure', triSens: 'Descendant' }), columns, 'lower(name)', 'siret')).toBe('siret DESC NULLS LAST, siret DESC')
    expect(orderBy(read({ triColonne: 'raisonSociale' }), columns, 'siret', 'siret')).toBe('lower(name) ASC NULLS LAST, siret ASC')
    expect(orderBy(read({ triColonne: 'name; DROP TABLE structures' }), columns, 'lower(name)', 'siret')).toBe('lower(name) ASC NULLS LAST, siret ASC')
  })
})

describe('the criteria of structures/v1/rechercher', () => {
  const none = { siret: null, names: [], active: null, kind: null, nothing: null }

  test.each([
    ['as OCA and cnfilms search: a SIRET and its type', { identifiantStructure: '73282932000074', typeIdentifiantStructure: 'SIRET' }, { ...none, siret: '73282932000074' }],
    ['as Pastell searches: the SIRET alone', { identifiantStructure: '73282932000074' }, { ...none, siret: '73282932000074' }],
    ['a SIRET written with spaces, the type in lower case', { identifiantStructure: ' 732 829 320 00074 ', typeIdentifiantStructure: 'siret' }, { ...none, siret: '73282932000074' }],
    ['names, trimmed, each one a criterion', { raisonSocialeStructure: ' Mairie ', libelleStructure: 'Sète' }, { ...none, names: ['Mairie', 'Sète'] }],
    ['as go-choruspro sends every key, empty', {
      adresseCodePays: '', adresseCodePostal: '', adresseVille: '', estMOA: false, estMOAUniquement: false, identifiantStructure: '', libelleStructure: '',
      nomStructure: '', prenomStructure: '', raisonSocialeStructure: 'Commune', statutStructure: '', typeIdentifiantStructure: '', typeStructure: '',
    }, { ...none, names: ['Commune'] }],
    ['statutStructure ACTIF (the spec example) or INACTIVE', { statutStructure: 'ACTIF', typeStructure: 'publique' }, { ...none, active: true, kind: 'PUBLIQUE' }],
    ['statutStructure INACTIVE', { statutStructure: 'inactive' }, { ...none, active: false }],
    ['unknown keys ignored', { codeService: 'X', whatever: { a: 1 } }, none],
    ['France as the country', { adresseCodePays: 'fr' }, none],
    ['no structure object at all', undefined, none],
  ])('%s', (_name, raw, expected) => {
    expect(readStructureCriteria(raw)).toEqual({ ok: true, value: expected })
  })

  test.each([
    ['another identifier type', { identifiantStructure: 'DE123456789', typeIdentifiantStructure: 'UE_HORS_FRANCE' }],
    ['an identifier that is no SIRET', { identifiantStructure: '1234' }],
    ['a private person\'s name', { nomStructure: 'Dupont' }],
    ['an address', { adresseCodePostal: '34200' }],
    ['another country', { adresseCodePays: 'BE' }],
    ['a MOA', { estMOA: true }],
  ])('%s matches no structure of the hub', (_name, raw) => {
    const read = readStructureCriteria(raw)
    expect(read.ok && read.value.nothing).toEqual(expect.any(String))
  })

  test.each([
    ['an unknown identifier type', { typeIdentifiantStructure: 'SIREN' }, 'structure.typeIdentifiantStructure: SIRET, UE_HORS_FRANCE, HORS_UE, RIDET, TAHITI, AUTRE, PARTICULIER (reçu "SIREN")'],
    ['an unknown status', { statutStructure: 'FERME' }, 'structure.statutStructure: ACTIF ou INACTIF (reçu "FERME")'],
    ['an unknown structure type', { typeStructure: 'MIXTE' }, 'structure.typeStructure: PUBLIQUE ou PRIVEE (reçu "MIXTE")'],
    ['a name that is an object', { raisonSocialeStructure: { contient: 'x' } }, 'structure.raisonSocialeStructure doit être une chaîne'],
    ['estMOA that is no boolean', { estMOA: 'oui' }, 'structure.estMOA: true ou false (reçu "oui")'],
    ['a structure that is a list', [{ identifiantStructure: '73282932000074' }], 'structure doit être un objet JSON (identifiantStructure, typeIdentifiantStructure, raisonSocialeStructure, …)'],
  ])('refuses %s', (_name, raw, message) => {
    expect(readStructureCriteria(raw)).toEqual({ ok: false, message })
  })

  test('a name is searched literally: its % _ and \\ are no wildcards', () => {
    expect(containsPattern('Mairie')).toBe('%Mairie%')
    expect(containsPattern('100%_sûr\\')).toBe('%100\\%\\_sûr\\\\%')
  })
})

describe('ids and languages', () => {
  test.each([
    ['idStructureCPP as OCA sends it', { idStructureCPP: 42 }, 42],
    ['idStructure as go-choruspro sends it', { idStructure: 42 }, 42],
    ['a numeric string', { idStructureCPP: ' 42 ' }, 42],
    ['the first key wins', { idStructureCPP: 7, idStructure: 9 }, 7],
  ])('reads %s', (_name, body, id) => {
    expect(readId(body, ['idStructureCPP', 'idStructure'])).toEqual({ ok: true, value: id })
  })

  test.each([
    ['a missing id', {}, 'idStructureCPP (ou idStructure) est obligatoire: l\'identifiant Chorus Pro de la structure (idStructureCPP, donné par structures/v1/rechercher)'],
    ['a non-numeric id', { idStructureCPP: 'abc' }, 'idStructureCPP doit être un entier positif (reçu "abc")'],
    ['a negative id', { idStructure: -3 }, 'idStructure doit être un entier positif (reçu -3)'],
    ['a fractional id', { idStructureCPP: 1.5 }, 'idStructureCPP doit être un entier positif (reçu 1.5)'],
    ['an id too large to be exact', { idStructureCPP: 2 ** 60 }, `idStructureCPP doit être un entier positif (reçu ${2 ** 60})`],
  ])('refuses %s', (_name, body, message) => {
    expect(readId(body, ['idStructureCPP', 'idStructure'])).toEqual({ ok: false, message })
  })

  test('codeLangue in any case, or none', () => {
    expect(readLanguage('fr')).toEqual({ ok: true, value: 'FR' })
    expect(readLanguage(' EN ')).toEqual({ ok: true, value: 'EN' })
    expect(readLanguage(undefined)).toEqual({ ok: true, value: 'FR' })
    expect(readLanguage('de')).toEqual({ ok: false, message: 'codeLangue: FR ou EN (reçu "de")' })
    expect(readLanguage(1)).toEqual({ ok: false, message: 'codeLangue: FR ou EN (reçu 1)' })
  })
})

describe('consulter\'s parametres', () => {
  test('mapped from the directory\'s flags, the payment status negated', () => {
    expect(structureParametres({ service_required: true, commitment_required: false, payment_status_managed: true, endpoint: null })).toMatchObject({
      codeServiceDoitEtreRenseigne: true, numeroEJDoitEtreRenseigne: false, gestionNumeroEJOuCodeService: false, statutMiseEnPaiementNestPasRemonte: false,
      connexionEDI: false, recevoirDonneesViaEDI: false,
    })
    expect(structureParametres({ service_required: false, commitment_required: true, payment_status_managed: false, endpoint: 'https://example.org/in' })).toMatchObject({
      codeServiceDoitEtreRenseigne: false, numeroEJDoitEtreRenseigne: true, statutMiseEnPaiementNestPasRemonte: true, connexionEDI: true, recevoirDonneesViaEDI: true,
    })
  })

  test('a private structure requires nothing and reports no payment status; every parameter is a boolean', () => {
    const p = structureParametres(null)
    expect(p).toMatchObject({ codeServiceDoitEtreRenseigne: false, numeroEJDoitEtreRenseigne: false, statutMiseEnPaiementNestPasRemonte: true })
    expect(Object.values(p).every((v) => typeof v === 'boolean')).toBe(true)
  })
})
