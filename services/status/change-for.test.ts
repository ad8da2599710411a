import { describe, expect, test } from 'vitest'
import { changeFor } from './main.js'

const failed = {
  eventId: 'd1:delivery:2', documentId: 'd1', partnerId: 'p', outcome: 'FAILED' as const, endpoint: 'https://ap.recipient.example/in?token=s3cret',
  attempts: 5, detail: 'gave up after 5 attempts; last: HTTP 503: <html>internal dashboard at http://10.0.0.7/</html>', at: 1000,
}

describe('the status of a delivery outcome', () => {
  test('ECHEC_DISTRIBUTION tells the sender the attempt count and that the operator can retry, nothing of the recipient', () => {
    const { change } = changeFor('delivery', failed)
    expect(change).toMatchObject({ status: 'ECHEC_DISTRIBUTION', at: 1000 })
    expect(change!.reason).toBe('delivery to the recipient failed after 5 attempt(s); the hub operator can retry it once the recipient\'s side is fixed')
    for (const secret of ['ap.recipient.example', 's3cret', 'HTTP 503', '10.0.0.7']) expect(change!.reason).not.toContain(secret)
  })

  test('a delivered outcome, of any round, is MISE_A_DISPOSITION', () => {
    expect(changeFor('delivery', { ...failed, outcome: 'DELIVERED', detail: 'HTTP 202' }).change).toMatchObject({ status: 'MISE_A_DISPOSITION', reason: null })
  })
})
