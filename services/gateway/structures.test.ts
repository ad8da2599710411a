import { describe, expect, test } from 'vitest'
import { isValidSiret, parseImportLine, parseSiret, parseStructure } from './structures.js'

describe('SIRET', () => {
  test.each([
    ['21750999100014', true],   // Luhn-valid
    ['21750999100015', false],  // check key off by one
    ['35600000012346', true],   // La Poste establishment: digit sum divisible by 5, not Luhn
    ['35600000000048', true],   // La Poste head office: Luhn
    ['35600000000014', false],  // La Poste SIREN, neither rule
    ['2175099910001', false],   // 13 digits
    ['2175099910001A', false],
  ])('%s valid: %s', (siret, valid) => {
    expect(isValidSiret(siret)).toBe(valid)
  })

  test('errors say what is wrong', () => {
    expect(parseSiret('123')).toEqual({ ok: false, message: "'123' is not a SIRET: 14 digits expected" })
    expect(parseSiret('21750999100015')).toMatchObject({ ok: false, message: expect.stringContaining('check key') })
  })
})

describe('structures', () => {
  const body = {
    name: 'Commune de Saint-Exemple', commitmentRequired: true, serviceRequired: true, paymentStatusManaged: true, endpoint: 'file:///srv/mairie',
    services: [{ code: 'SERV-FIN', name: 'Finances', commitmentRequired: true }, { code: 'SERV-RH', name: 'RH', active: false }],
  }

  test('a complete structure, defaults filled in', () => {
    expect(parseStructure('21750999100014', body)).toEqual({ ok: true, value: {
      siret: '21750999100014', name: 'Commune de Saint-Exemple', active: true, commitmentRequired: true, serviceRequired: true, paymentStatusManaged: true,
      endpoint: 'file:///srv/mairie', format: 'original',
      services: [
        { code: 'SERV-FIN', name: 'Finances', active: true, commitmentRequired: true },
        { code: 'SERV-RH', name: 'RH', active: false, commitmentRequired: false },
      ],
    } })
  })

  test('the minimum: a name; no endpoint means documents wait in the hub', () => {
    expect(parseStructure('21750999100014', { name: 'X' })).toMatchObject({ ok: true, value: { active: true, serviceRequired: false, endpoint: null, services: [] } })
  })

  test.each([
    [{}, '`name` is required'],
    [{ name: 'X', active: 'yes' }, '`active` must be true or false'],
    [{ name: 'X', endpoint: 'ftp://x' }, 'protocol ftp: is not supported'],
    [{ name: 'X', services: {} }, '`services` must be an array'],
    [{ name: 'X', services: [{ code: 'A' }, { code: 'A' }] }, "services[1].code 'A' appears twice"],
    [{ name: 'X', services: [{ code: 'a b' }] }, 'services[0].code must be'],
  ])('%j is refused: %s', (b, message) => {
    expect(parseStructure('21750999100014', b)).toMatchObject({ ok: false, message: expect.stringContaining(message) })
  })

  test('an import line carries its own siret', () => {
    expect(parseImportLine('{"siret":"21750999100014","name":"X"}')).toMatchObject({ ok: true, value: { siret: '21750999100014' } })
    expect(parseImportLine('{"name":"X"}')).toMatchObject({ ok: false, message: expect.stringContaining('`siret` is required') })
    expect(parseImportLine('{"siret":')).toMatchObject({ ok: false, message: expect.stringContaining('not JSON') })
  })
})
