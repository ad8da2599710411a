import { describe, expect, test } from 'vitest'
import { paging, stepsTo } from './cpro-invoices.js'

describe('Chorus Pro invoices', () => {
  test('a recipient\'s Chorus Pro status reached through the reform\'s lifecycle, never through a status that needs a reason', () => {
    expect(stepsTo('MISE_A_DISPOSITION', 'SERVICE_FAIT')).toEqual(['PRISE_EN_CHARGE', 'SERVICE_FAIT'])
    // Mandated or put in payment: the invoice was approved first.
    expect(stepsTo('MISE_A_DISPOSITION', 'MANDATEE')).toEqual(['APPROUVEE', 'MANDATEE'])
    expect(stepsTo('MISE_A_DISPOSITION', 'MISE_EN_PAIEMENT')).toEqual(['APPROUVEE', 'MISE_EN_PAIEMENT'])
    expect(stepsTo('SERVICE_FAIT', 'MANDATEE')).toEqual(['MANDATEE'])
    expect(stepsTo('MISE_A_DISPOSITION', 'SUSPENDUE')).toEqual(['SUSPENDUE'])
    // Backwards is not a path: SERVICE_FAIT does not go back to a suspension (only through a dispute, never made up).
    expect(stepsTo('SERVICE_FAIT', 'SUSPENDUE')).toBeNull()
    expect(stepsTo('REFUSEE', 'SERVICE_FAIT')).toBeNull()
  })

  test('paging: 1-based, sane defaults, capped', () => {
    expect(paging(undefined)).toEqual({ page: 1, size: 100 })
    expect(paging({ pageResultatDemandee: 3, nbResultatsParPage: 20 })).toEqual({ page: 3, size: 20 })
    expect(paging({ pageResultatDemandee: 0, nbResultatsParPage: 10_000 })).toEqual({ page: 1, size: 1000 })
    expect(paging({ pageResultatDemandee: '2', nbResultatsParPage: 'x' })).toEqual({ page: 2, size: 100 })
  })
})
