// The hub's SMP, end to end on one machine: a sender finds a participant of this hub through BDXL (a DNS server
// on loopback, queried by Node's own resolver), reads the hub's signed service metadata over HTTP and gets the
// hub's AS4 endpoint and certificate. The JDK's XML Signature implementation is the second opinion on the
// signatures both ways (test/interop/XmlDsig.java).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hub, randomSiret, registerParticipant, dropFolder } from './helpers.js'
import { startDnsServer } from './dns-server.js'
import { createApp } from '../services/gateway/app.js'
import { loadConfig } from '../services/kit/config.js'
import { createDb, type Db } from '../services/kit/db.js'
import { createLogger } from '../services/kit/log.js'
import { createDevPki, writeDevPki, checkChain, peppolIdentityFromConfig, type DevPki } from '../services/peppol/pki.js'
import { smpPublisherFromConfig, receivedDocumentTypes, BILLING_PROCESS } from '../services/peppol/smp-publisher.js'
import { createSmpClient } from '../services/peppol/smp-client.js'
import { bdxlHostName, dnsNaptrResolver } from '../services/peppol/bdxl.js'
import { readSignedServiceMetadata, serviceMetadataUrl, type TrustCheck } from '../services/peppol/smp.js'
import { parseParticipant, type PeppolId } from '../services/peppol/identifiers.js'

const ZONE = 'sml.facteur.test'
const pid = (text: string): PeppolId => { const p = parseParticipant(text); if (!p.ok) throw new Error(p.reason); return p.id }
const javaAvailable = (() => { try { execFileSync('javac', ['-version'], { stdio: 'ignore' }); return true } catch { return false } })()
if (!javaAvailable) console.warn('javac not on PATH: the JDK cross-checks of the SMP signatures are skipped')

let pki: DevPki
let dir: string
let db: Db
let server: Server
let base: string
let dns: Awaited<ReturnType<typeof startDnsServer>>
let trust: TrustCheck
const participant = pid(`0009:${randomSiret()}`)
const unknown = pid(`0009:${randomSiret()}`)

beforeAll(async () => {
  pki = await createDevPki()
  dir = mkdtempSync(join(tmpdir(), 'facteur-smp-'))
  const files = writeDevPki(pki, join(dir, 'pki'))
  const h = hub()
  const ap = files.entries[pki.ap.name]!
  const smpFiles = files.entries[pki.smp.name]!
  const config = loadConfig({
    FACTEUR_KAFKA_BROKERS: h.kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: h.registryUrl, DATABASE_URL: h.databaseUrl, FACTEUR_TOPIC_PREFIX: h.topicPrefix,
    FACTEUR_PEPPOL_SEAT_ID: pki.ap.name, FACTEUR_PEPPOL_KEYSTORE: ap.p12, FACTEUR_PEPPOL_KEYSTORE_PASSWORD: ap.password,
    FACTEUR_PEPPOL_AP_CA: files.apCa, FACTEUR_PEPPOL_SMP_CA: files.smpCa, FACTEUR_PEPPOL_SML_ZONE: ZONE,
    FACTEUR_PEPPOL_AS4_URL: 'https://ap.facteur.test/as4', FACTEUR_PEPPOL_SMP_KEYSTORE: smpFiles.p12, FACTEUR_PEPPOL_SMP_KEYSTORE_PASSWORD: smpFiles.password,
  })
  db = createDb(h.databaseUrl, { max: 2, application: 'peppol-smp-test' })
  const peppol = peppolIdentityFromConfig(config)
  const smp = smpPublisherFromConfig(config, db, peppol)
  expect(smp).not.toBeNull()
  const app = createApp({ config, db, log: createLogger('silent'), checks: {}, smp })
  server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/smp`
  // The participant receives through the hub (the shared hub's directory); the SML points both ids at this SMP.
  const { endpoint } = await dropFolder()
  expect((await registerParticipant(participant.value, endpoint)).status).toBeLessThan(300)
  const naptr = { flags: 'U', service: 'Meta:SMP', regexp: `!^.*$!${base}!`, replacement: '', order: 100, preference: 10 }
  dns = await startDnsServer(new Map([[bdxlHostName(participant, ZONE), [naptr]], [bdxlHostName(unknown, ZONE), [naptr]]]))
  trust = (der) => { const c = checkChain(der, [pki.smpCa.certificate], new Date(), { usage: 'smp' }); return c.ok ? { ok: true } : { ok: false, reason: c.message } }
}, 120_000)

afterAll(async () => {
  dns?.close()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  await db?.end()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the hub\'s SMP', () => {
  it('a sender finds the hub\'s AS4 endpoint and certificate through BDXL and the signed metadata', async () => {
    const client = createSmpClient({ smlZone: ZONE, resolveNaptr: dnsNaptrResolver([dns.server]), trust })
    const found = await client.lookup(participant, receivedDocumentTypes[0]!, BILLING_PROCESS)
    expect(found).toMatchObject({ ok: true, endpoint: { address: 'https://ap.facteur.test/as4', transportProfile: 'peppol-transport-as4-v2_0' } })
    if (found.ok) expect(found.endpoint.certificate.equals(pki.ap.certificate.der)).toBe(true)
    expect(dns.queries).toContain(bdxlHostName(participant, ZONE))
    // Answers are cached: the second lookup asks neither the DNS nor the SMP.
    const asked = dns.queries.length
    expect(await client.lookup(participant, receivedDocumentTypes[0]!, BILLING_PROCESS)).toMatchObject({ ok: true })
    expect(dns.queries.length).toBe(asked)
  })

  it('says precisely why a participant cannot be reached', async () => {
    const client = createSmpClient({ smlZone: ZONE, resolveNaptr: dnsNaptrResolver([dns.server]), trust })
    expect(await client.lookup(pid(`0009:${randomSiret()}`), receivedDocumentTypes[0]!, BILLING_PROCESS)).toMatchObject({ ok: false, permanent: true, reason: expect.stringContaining('not registered in the SML') })
    expect(await client.lookup(unknown, receivedDocumentTypes[0]!, BILLING_PROCESS)).toMatchObject({ ok: false, permanent: true, reason: expect.stringContaining('404') })
    const order = { scheme: 'busdox-docid-qns', value: 'urn:oasis:names:specification:ubl:schema:xsd:Order-2::Order##urn:fdc:peppol.eu:poacc:trns:order:3::2.1' }
    expect(await client.lookup(participant, order, BILLING_PROCESS)).toMatchObject({ ok: false, permanent: true, reason: expect.stringContaining('404') })
    // An SMP answer signed by a CA the sender does not trust is refused.
    const distrustful = createSmpClient({ smlZone: ZONE, resolveNaptr: dnsNaptrResolver([dns.server]), trust: () => ({ ok: false, reason: 'not our SMP CA' }) })
    expect(await distrustful.lookup(participant, receivedDocumentTypes[1]!, BILLING_PROCESS)).toMatchObject({ ok: false, reason: expect.stringContaining('not our SMP CA') })
  })

  it('lists the participant\'s document types, and answers 404 for a participant it does not serve', async () => {
    const group = await fetch(`${base}/${encodeURIComponent(`iso6523-actorid-upis::${participant.value}`)}`)
    expect(group.status).toBe(200)
    const text = await group.text()
    for (const d of receivedDocumentTypes) expect(text).toContain(serviceMetadataUrl(base, participant, d).replaceAll('&', '&amp;'))
    expect((await fetch(`${base}/${encodeURIComponent(`iso6523-actorid-upis::${unknown.value}`)}`)).status).toBe(404)
    expect((await fetch(`${base}/not-a-participant`)).status).toBe(400)
  })

  it.skipIf(!javaAvailable)('the JDK verifies the hub\'s SMP signature, and the hub verifies an SMP signed by the JDK (inclusive C14N, as phoss-smp signs)', async () => {
    const jdir = join(dir, 'java')
    execFileSync('javac', ['-d', jdir, new URL('./interop/XmlDsig.java', import.meta.url).pathname])
    const java = (...args: string[]) => execFileSync('java', ['-cp', jdir, 'XmlDsig', ...args], { encoding: 'utf8' })
    const answer = await (await fetch(serviceMetadataUrl(base, participant, receivedDocumentTypes[0]!))).text()
    writeFileSync(join(jdir, 'hub.xml'), answer)
    expect(java('verify', join(jdir, 'hub.xml')).trim()).toBe('VALID')
    writeFileSync(join(jdir, 'hub-tampered.xml'), answer.replace('https://ap.facteur.test/as4', 'https://evil.test/as4'))
    expect(java('verify', join(jdir, 'hub-tampered.xml')).trim()).toBe("INVALID reference ''")

    // The same metadata without our signature, signed by the JDK with the SMP key.
    writeFileSync(join(jdir, 'unsigned.xml'), answer.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, ''))
    writeFileSync(join(jdir, 'smp.key.der'), pki.smp.privateKey.export({ type: 'pkcs8', format: 'der' }))
    writeFileSync(join(jdir, 'smp.der'), pki.smp.certificate.der)
    const byJava = java('sign', join(jdir, 'unsigned.xml'), join(jdir, 'smp.key.der'), join(jdir, 'smp.der'))
    expect(byJava).toContain('REC-xml-c14n-20010315')
    expect(readSignedServiceMetadata(byJava, trust)).toMatchObject({ ok: true, metadata: { participant: { value: participant.value } } })
    expect(readSignedServiceMetadata(byJava.replace('https://ap.facteur.test/as4', 'https://evil.test/as4'), trust)).toMatchObject({ ok: false, reason: expect.stringContaining('digest mismatch') })
  })
})
