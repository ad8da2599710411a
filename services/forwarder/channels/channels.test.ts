// The real channels against a real folder and a real HTTP server on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, readFile, readdir, rm, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { dropFolderChannel } from './drop-folder.js'
import { classifyStatus, httpChannel } from './http.js'

const delivery = { documentId: '7d3c9a52-0b3f-4c55-8a9b-1f0e2d3c4b5a', contentType: 'application/xml', bytes: Buffer.from('<Invoice>é</Invoice>') }

describe('drop folder', () => {
  let dir: string
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'facteur-drop-')) })
  afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

  test('writes <documentId>.xml with the exact bytes and leaves no partial file', async () => {
    const out = await dropFolderChannel(pathToFileURL(join(dir, 'inbox')), delivery)
    expect(out.outcome).toBe('delivered')
    expect(await readFile(join(dir, 'inbox', `${delivery.documentId}.xml`))).toEqual(delivery.bytes)
    expect(await readdir(join(dir, 'inbox'))).toEqual([`${delivery.documentId}.xml`])
  })

  test('a path that is a file, not a folder, is a permanent failure', async () => {
    await writeFile(join(dir, 'plain-file'), 'x')
    const out = await dropFolderChannel(pathToFileURL(join(dir, 'plain-file')), delivery)
    expect(out.outcome).toBe('failed')
    expect(out.detail).toMatch(/ENOTDIR|EEXIST/)
  })

  test.skipIf(process.getuid?.() === 0)('a folder without write permission is a permanent failure', async () => {
    const ro = join(dir, 'read-only')
    await writeFile(join(dir, 'marker'), '')
    await chmod(dir, 0o500)
    const out = await dropFolderChannel(pathToFileURL(ro), delivery)
    await chmod(dir, 0o700)
    expect(out.outcome).toBe('failed')
  })
})

describe('HTTP', () => {
  let server: http.Server
  let base: string
  const received: { headers: http.IncomingHttpHeaders; body: Buffer }[] = []
  let answer = 200
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c) => chunks.push(c)).on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) })
        if (answer === 0) return // never answers: the client must time out
        res.writeHead(answer).end(answer >= 400 ? 'refused by test server' : 'ok')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => { server.closeAllConnections(); server.close() })

  test('POSTs the exact bytes with the document id for de-duplication', async () => {
    answer = 202
    const out = await httpChannel(2000)(new URL(`${base}/inbox`), delivery)
    expect(out).toMatchObject({ outcome: 'delivered', detail: 'HTTP 202: ok' })
    const last = received.at(-1)!
    expect(last.body).toEqual(delivery.bytes)
    expect(last.headers['x-facteur-document-id']).toBe(delivery.documentId)
    expect(last.headers['content-type']).toBe('application/xml')
  })

  test.each([[503, 'retry-later'], [429, 'retry-later'], [400, 'failed'], [404, 'failed']])('HTTP %i means %s', async (status, outcome) => {
    answer = status
    const out = await httpChannel(2000)(new URL(`${base}/inbox`), delivery)
    expect(out.outcome).toBe(outcome)
    expect(out.detail).toContain(`HTTP ${status}: refused by test server`)
  })

  test('no answer within the timeout is retried later', async () => {
    answer = 0
    const out = await httpChannel(200)(new URL(`${base}/slow`), delivery)
    expect(out).toEqual({ outcome: 'retry-later', detail: 'no answer within 200 ms' })
  })

  test('a closed port is retried later, naming the error', async () => {
    const probe = http.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const closedPort = (probe.address() as AddressInfo).port
    await new Promise((r) => probe.close(r))
    const out = await httpChannel(2000)(new URL(`http://127.0.0.1:${closedPort}/x`), delivery)
    expect(out.outcome).toBe('retry-later')
    expect(out.detail).toMatch(/ECONNREFUSED/)
  })

  test.each([[200, 'delivered'], [299, 'delivered'], [301, 'failed'], [408, 'retry-later'], [425, 'retry-later'], [500, 'retry-later']])('status %i is classified %s', (status, outcome) => {
    expect(classifyStatus(status)).toBe(outcome)
  })
})
