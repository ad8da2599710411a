// The lifecycle after delivery, as the two sides live it: the public structure (recipient) takes the invoice
// in hand, approves, disputes, suspends, refuses or pays it; the supplier (sender) completes a suspended
// invoice and declares it cashed. Each change is checked against the transition table and the actor, shows on
// both sides, and lands on the auditors' hash-chained status stream.
import { describe, expect, test } from 'vitest'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { api, fixture, hub, postDocument, randomSiret, waitForStatus, withBuyerAddress, withDb } from './helpers.js'
import { businessTransitions, statuses, type Status } from '../schemas/lifecycle.js'

const root = fileURLToPath(new URL('../', import.meta.url))
const admin = () => ({ key: hub().adminKey })

/** A structure with its recipient partner, and one invoice delivered to it. */
async function delivered(options: { paymentStatusManaged?: boolean } = {}) {
  const siret = randomSiret()
  expect((await api('PUT', `/v1/directory/structures/${siret}`, { ...admin(), body: { name: `Structure ${siret}`, endpoint: null, paymentStatusManaged: options.paymentStatusManaged ?? false } })).status).toBe(201)
  const recipient = await api('POST', '/v1/partners', { ...admin(), body: { name: `Recipient ${siret}`, addresses: [`0009:${siret}`] } })
  const posted = await postDocument(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret))
  const doc = await waitForStatus(posted.json.id, ['MISE_A_DISPOSITION', 'A_RECYCLER', 'REJETEE', 'EN_ERREUR'])
  expect(doc.status).toBe('MISE_A_DISPOSITION')
  return { id: doc.id as string, recipientKey: recipient.json.apiKey as string, senderKey: hub().demoKey }
}

const setStatus = (id: string, key: string, status: string, reason?: string) =>
  api('POST', `/v1/documents/${id}/status`, { key, body: reason ? { status, reason } : { status } })

async function walk(id: string, steps: [key: string, status: string, reason?: string | undefined][]) {
  for (const [key, status, reason] of steps) {
    const res = await setStatus(id, key, status, reason)
    expect([status, res.status, res.json?.detail]).toEqual([status, 200, undefined])
    expect(res.json.status).toBe(status)
  }
}

describe('business statuses after delivery', () => {
  test('the payment path of a structure that manages "mise en paiement": every recipient step, then ENCAISSEE by the sender', async () => {
    const { id, recipientKey: r, senderKey: s } = await delivered({ paymentStatusManaged: true })
    await walk(id, [[r, 'PRISE_EN_CHARGE'], [r, 'EN_LITIGE', 'quantité livrée 8 au lieu de 10'], [r, 'APPROUVEE'], [r, 'SERVICE_FAIT'], [r, 'MANDATEE'], [r, 'MISE_EN_PAIEMENT'], [r, 'PAIEMENT_TRANSMIS'], [s, 'ENCAISSEE']])
    const seenBySender = await api('GET', `/v1/documents/${id}`, { key: s })
    const seenByRecipient = await api('GET', `/v1/documents/${id}`, { key: r })
    const trail = (h: { status: string; code?: string; actor: string }[]) => h.map((x) => `${x.status}/${x.code ?? '-'}/${x.actor}`)
    expect(trail(seenBySender.json.history)).toEqual([
      'DEPOSEE/200/hub', 'MISE_A_DISPOSITION/203/hub', 'PRISE_EN_CHARGE/204/recipient', 'EN_LITIGE/207/recipient', 'APPROUVEE/205/recipient',
      'SERVICE_FAIT/-/recipient', 'MANDATEE/-/recipient', 'MISE_EN_PAIEMENT/-/recipient', 'PAIEMENT_TRANSMIS/211/recipient', 'ENCAISSEE/212/sender',
    ])
    expect(seenByRecipient.json.history).toEqual(seenBySender.json.history)
    expect(seenBySender.json.history[3].reason).toBe('quantité livrée 8 au lieu de 10')
  })

  test('suspended for a missing attachment, completed by the sender, partly approved, then cashed', async () => {
    const { id, recipientKey: r, senderKey: s } = await delivered()
    await walk(id, [[r, 'SUSPENDUE', 'bon de livraison manquant'], [s, 'COMPLETEE'], [r, 'APPROUVEE_PARTIELLEMENT', 'ligne 2 non reçue'], [s, 'ENCAISSEE']])
  })

  test('refused: final for both sides', async () => {
    const { id, recipientKey: r, senderKey: s } = await delivered()
    await walk(id, [[r, 'REFUSEE', 'facture adressée à tort']])
    const after = await setStatus(id, r, 'APPROUVEE')
    expect([after.status, after.json.current, after.json.allowed]).toEqual([409, 'REFUSEE', []])
    expect((await setStatus(id, s, 'ENCAISSEE')).status).toBe(409)
  })

  // Every edge of the transition table, each on its own document brought to the edge's start by the
  // shortest path from MISE_A_DISPOSITION (a structure that manages "mise en paiement", so all are open).
  const pathTo = (target: Status): Status[] => {
    const previous = new Map<Status, Status | null>([['MISE_A_DISPOSITION', null]])
    const queue: Status[] = ['MISE_A_DISPOSITION']
    while (queue.length > 0) {
      const s = queue.shift()!
      for (const next of businessTransitions[s] ?? []) if (!previous.has(next)) { previous.set(next, s); queue.push(next) }
    }
    const path: Status[] = []
    for (let s: Status | null = target; s && s !== 'MISE_A_DISPOSITION'; s = previous.get(s) ?? null) path.unshift(s)
    return path
  }
  const edges = Object.entries(businessTransitions).flatMap(([from, targets]) => (targets ?? []).map((to) => [from as Status, to] as const))
  test.concurrent.each(edges)('%s → %s is allowed to its actor', async (from, to) => {
    const { id, recipientKey, senderKey } = await delivered({ paymentStatusManaged: true })
    const keyOf = (s: Status) => (statuses[s].by === 'sender' ? senderKey : recipientKey)
    const reasonOf = (s: Status) => (['REFUSEE', 'SUSPENDUE', 'EN_LITIGE', 'APPROUVEE_PARTIELLEMENT'].includes(s) ? 'motif de test' : undefined)
    await walk(id, [...pathTo(from), to].map((s) => [keyOf(s), s, reasonOf(s)] as [string, string, string | undefined]))
  }, 60_000)

  test.each([
    ['the sender sets MANDATEE', 'sender', 'MANDATEE', /MANDATEE is set by the recipient, not the sender/],
    ['the recipient sets ENCAISSEE', 'recipient', 'ENCAISSEE', /ENCAISSEE is set by the sender, not the recipient/],
    ['the recipient jumps to PAIEMENT_TRANSMIS', 'recipient', 'PAIEMENT_TRANSMIS', /MISE_A_DISPOSITION → PAIEMENT_TRANSMIS is not allowed; from MISE_A_DISPOSITION the recipient may set: PRISE_EN_CHARGE, APPROUVEE/],
    ['the sender completes an invoice that was not suspended', 'sender', 'COMPLETEE', /MISE_A_DISPOSITION → COMPLETEE is not allowed/],
  ] as const)('409 when %s, naming the allowed statuses', async (_name, who, status, detail) => {
    const { id, recipientKey, senderKey } = await delivered()
    const res = await setStatus(id, who === 'sender' ? senderKey : recipientKey, status)
    expect(res.status).toBe(409)
    expect(res.json.detail).toMatch(detail)
    expect(res.json.type).toContain('transition-not-allowed')
  })

  test('MISE_EN_PAIEMENT only where the structure manages it', async () => {
    const { id, recipientKey: r } = await delivered({ paymentStatusManaged: false })
    await walk(id, [[r, 'APPROUVEE'], [r, 'MANDATEE']])
    const res = await setStatus(id, r, 'MISE_EN_PAIEMENT')
    expect([res.status, res.json.allowed]).toEqual([409, ['PAIEMENT_TRANSMIS']])
  })

  test('a third party gets 404; a refusal without reason, or an unknown status, gets 400', async () => {
    const { id, recipientKey: r } = await delivered()
    const stranger = await api('POST', '/v1/partners', { ...admin(), body: { name: `Stranger ${randomSiret()}`, addresses: [] } })
    expect((await setStatus(id, stranger.json.apiKey, 'APPROUVEE')).status).toBe(404)
    expect((await api('GET', `/v1/documents/${id}`, { key: stranger.json.apiKey })).status).toBe(404)
    const noReason = await setStatus(id, r, 'REFUSEE')
    expect([noReason.status, noReason.json.detail]).toEqual([400, expect.stringContaining('needs a `reason`')])
    expect((await setStatus(id, r, 'PAYEE')).status).toBe(400)
    expect((await setStatus(id, r, 'MISE_A_DISPOSITION')).status).toBe(400)
  })
})

describe("the auditors' stream", () => {
  const audit = (...args: string[]) => promisify(execFile)(process.execPath, ['bin/facteur.mjs', 'audit', ...args], {
    cwd: root,
    env: { ...process.env, FACTEUR_KAFKA_BROKERS: hub().kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: hub().registryUrl, FACTEUR_TOPIC_PREFIX: hub().topicPrefix, DATABASE_URL: hub().databaseUrl },
  }).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }))

  test('every chain verifies after a run, on the topic and in the database; tampering with one stored event is detected', async () => {
    const { id, recipientKey: r, senderKey: s } = await delivered()
    await walk(id, [[r, 'APPROUVEE'], [s, 'ENCAISSEE']])
    // The last status reaches the topic through the outbox; wait until the topic holds it.
    let topic = { code: -1, stdout: '', stderr: '' }
    for (let i = 0; i < 40; i++) {
      topic = await audit('verify', '--json')
      if (topic.code === 0 && JSON.parse(topic.stdout).events >= 4) break
      await new Promise((res) => setTimeout(res, 250))
    }
    expect(topic.code).toBe(0)
    expect(JSON.parse(topic.stdout)).toMatchObject({ breaks: [], undecodable: 0 })
    const db = await audit('verify', '--db')
    expect([db.code, db.stdout]).toEqual([0, expect.stringContaining('every chain is intact')])

    // Rewrite one stored event behind the hub's back (the append-only trigger must be lifted to do it).
    await withDb(async (c) => {
      await c.query('ALTER TABLE status_history DISABLE TRIGGER status_history_no_update')
      try { await c.query(`UPDATE status_history SET status = 'REFUSEE' WHERE document_id = $1 AND sequence = 3`, [id]) } finally {
        await c.query('ALTER TABLE status_history ENABLE TRIGGER status_history_no_update')
      }
    })
    const tampered = await audit('verify', '--db')
    expect(tampered.code).toBe(1)
    expect(tampered.stdout).toMatch(new RegExp(`BROKEN  ${id}  #3  its hash .* does not match its content`))
  }, 60_000)
})
