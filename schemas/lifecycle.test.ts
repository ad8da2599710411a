import { describe, expect, test } from 'vitest'
import { allowedNext, businessTransitions, statuses, type Status } from './lifecycle.js'

const managed = { paymentStatusManaged: true }
const unmanaged = { paymentStatusManaged: false }

describe('the business lifecycle', () => {
  test('codes are those of the French reform where one exists', () => {
    expect(Object.fromEntries(Object.entries(statuses).filter(([, s]) => s.code).map(([k, s]) => [s.code, k]))).toEqual({
      200: 'DEPOSEE', 203: 'MISE_A_DISPOSITION', 204: 'PRISE_EN_CHARGE', 205: 'APPROUVEE', 206: 'APPROUVEE_PARTIELLEMENT', 207: 'EN_LITIGE',
      208: 'SUSPENDUE', 209: 'COMPLETEE', 210: 'REFUSEE', 211: 'PAIEMENT_TRANSMIS', 212: 'ENCAISSEE', 213: 'REJETEE',
    })
  })

  test('after delivery the recipient takes it in hand, approves, disputes, suspends or refuses; the sender can do nothing yet', () => {
    expect(allowedNext('MISE_A_DISPOSITION', 'recipient', unmanaged)).toEqual(['PRISE_EN_CHARGE', 'APPROUVEE', 'APPROUVEE_PARTIELLEMENT', 'EN_LITIGE', 'SUSPENDUE', 'REFUSEE'])
    expect(allowedNext('MISE_A_DISPOSITION', 'sender', unmanaged)).toEqual([])
  })

  test('a suspended invoice is completed by the sender, then back with the recipient', () => {
    expect(allowedNext('SUSPENDUE', 'sender', unmanaged)).toEqual(['COMPLETEE'])
    expect(allowedNext('SUSPENDUE', 'recipient', unmanaged)).toEqual(['REFUSEE'])
    expect(allowedNext('COMPLETEE', 'recipient', unmanaged)).toContain('APPROUVEE')
  })

  test('MISE_EN_PAIEMENT only where the structure manages that status', () => {
    expect(allowedNext('MANDATEE', 'recipient', managed)).toEqual(['MISE_EN_PAIEMENT', 'PAIEMENT_TRANSMIS'])
    expect(allowedNext('MANDATEE', 'recipient', unmanaged)).toEqual(['PAIEMENT_TRANSMIS'])
  })

  test('the sender declares ENCAISSEE once paid or approved; REFUSEE and ENCAISSEE are final', () => {
    expect(allowedNext('PAIEMENT_TRANSMIS', 'sender', unmanaged)).toEqual(['ENCAISSEE'])
    expect(allowedNext('APPROUVEE', 'sender', unmanaged)).toEqual(['ENCAISSEE'])
    expect(allowedNext('REFUSEE', 'recipient', managed)).toEqual([])
    expect(allowedNext('ENCAISSEE', 'sender', managed)).toEqual([])
  })

  test('hub statuses before delivery allow nothing through the API', () => {
    for (const s of ['DEPOSEE', 'REJETEE', 'A_RECYCLER', 'ECHEC_DISTRIBUTION', 'EN_ERREUR', 'NOT_A_STATUS']) {
      expect(allowedNext(s, 'recipient', managed)).toEqual([])
      expect(allowedNext(s, 'sender', managed)).toEqual([])
    }
  })

  test('every transition targets a status a partner may set, never a hub status', () => {
    for (const targets of Object.values(businessTransitions)) for (const t of targets as Status[]) expect(statuses[t].by).not.toBe('hub')
  })
})
