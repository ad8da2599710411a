import { describe, expect, test } from 'vitest'
import { hubTransitions, planChange, rejectionReason, statusCodes, type Change, type HubStatus } from './lifecycle.js'
import { replayedFrom } from '../../schemas/lifecycle.js'
import type { Finding } from '../../schemas/events.js'

const change = (status: HubStatus): Change => ({ status, reason: null, findings: [], at: 2000 })
const history = (...statuses: string[]) => statuses.map((status) => ({ status }))

describe('the hub lifecycle', () => {
  test('DEPOSEE opens the history', () => {
    expect(planChange([], change('DEPOSEE'), 1000)).toEqual({ append: [change('DEPOSEE')], ignored: null })
  })

  test('a later stage seen before `received` implies DEPOSEE at the reception time', () => {
    const plan = planChange([], change('MISE_A_DISPOSITION'), 1000)
    expect(plan.append.map((c) => [c.status, c.at])).toEqual([['DEPOSEE', 1000], ['MISE_A_DISPOSITION', 2000]])
  })

  test('a `received` arriving after a later stage adds nothing', () => {
    expect(planChange(history('DEPOSEE', 'REJETEE'), change('DEPOSEE'), 1000).append).toEqual([])
  })

  test.each(['REJETEE', 'A_RECYCLER', 'MISE_A_DISPOSITION', 'ECHEC_DISTRIBUTION', 'EN_ERREUR'] as const)('DEPOSEE moves to %s', (status) => {
    expect(planChange(history('DEPOSEE'), change(status), 0).append).toEqual([change(status)])
  })

  test.each([
    ['REJETEE', 'MISE_A_DISPOSITION'],
    ['MISE_A_DISPOSITION', 'REJETEE'],
    ['A_RECYCLER', 'MISE_A_DISPOSITION'],
    ['ECHEC_DISTRIBUTION', 'EN_ERREUR'],
  ] as const)('%s is final for the hub: %s is ignored with the reason', (from, to) => {
    const plan = planChange(history('DEPOSEE', from), change(to), 0)
    expect(plan.append).toEqual([])
    expect(plan.ignored).toContain(`${from} does not move to ${to}`)
  })

  test('a document parked in EN_ERREUR and replayed can still be delivered', () => {
    expect(planChange(history('DEPOSEE', 'EN_ERREUR'), change('MISE_A_DISPOSITION'), 0).append).toHaveLength(1)
  })

  test('a failed delivery leaves ECHEC_DISTRIBUTION only through a replay (RELANCEE), then is delivered', () => {
    expect(planChange(history('DEPOSEE', 'ECHEC_DISTRIBUTION'), change('MISE_A_DISPOSITION'), 0).append).toEqual([])
    expect(planChange(history('DEPOSEE', 'ECHEC_DISTRIBUTION', 'RELANCEE'), change('MISE_A_DISPOSITION'), 0).append).toEqual([change('MISE_A_DISPOSITION')])
  })

  test.each(['REJETEE', 'A_RECYCLER', 'MISE_A_DISPOSITION', 'ECHEC_DISTRIBUTION', 'EN_ERREUR'] as const)('a replayed document (RELANCEE) may end %s', (status) => {
    expect(planChange(history('DEPOSEE', 'EN_ERREUR', 'RELANCEE'), change(status), 0).append).toEqual([change(status)])
  })

  test('every status a replay starts from moves to RELANCEE in the hub table', () => {
    for (const from of replayedFrom) expect(hubTransitions[from as HubStatus], from).toContain('RELANCEE')
    expect(planChange(history('DEPOSEE', 'MISE_A_DISPOSITION'), change('RELANCEE'), 0).append).toEqual([])
  })

  test('codes are the reform’s lifecycle codes where one exists', () => {
    expect([statusCodes.DEPOSEE, statusCodes.MISE_A_DISPOSITION, statusCodes.REJETEE]).toEqual(['200', '203', '213'])
  })
})

describe('rejection reason', () => {
  const f = (ruleId: string, severity: Finding['severity'] = 'fatal'): Finding => ({ ruleId, severity, location: '/', message: `${ruleId} failed`, pack: 'en16931', line: null })

  test('names the stage, the count, the distinct fatal rule ids and the first message', () => {
    expect(rejectionReason('validation', [f('BR-CO-15'), f('BR-CO-15'), f('BR-16'), f('BR-W', 'warning')]))
      .toBe('validation: 3 fatal findings (BR-CO-15, BR-16): BR-CO-15 failed')
  })

  test('keeps long lists short', () => {
    const reason = rejectionReason('validation', Array.from({ length: 12 }, (_, i) => f(`BR-${i}`)))
    expect(reason).toContain('… (12 rules)')
  })
})
