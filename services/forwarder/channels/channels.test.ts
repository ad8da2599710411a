// The real channels against a real folder and a real HTTP server on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, readFile, readdir, rm, writeFile, chmod, symlink, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { dropFolderChannel } from './drop-folder.js'
import { classifyStatus, httpChannel } from './http.js'

const delivery = { documentId: '7d3c9a52-0b3f-4c55-8a9b-1f0e2d3c4b5a', contentType: 'application/xml', bytes: Buffer.from('<Invoice>é</Invoice>') }

describe('drop folder', () => {
  let root: string
  let outside: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'facteur-drop-'))
    outside = await mkdtemp(join(tmpdir(), 'facteur-outside-'))
  })
  afterAll(async () => {
    await chmod(root, 0o700).catch(() => {})
    await rm(root, { recursive: true, force: true })
    await rm(outside, { recursive: true, force: true })
  })

  test('writes <documentId>.xml with the exact bytes and leaves no partial file', async () => {
    const out = await dropFolderChannel(root)(pathToFileURL(join(root, 'inbox')), delivery)
    expect(out.outcome).toBe('delivered')
    expect(await readFile(join(root, 'inbox', `${delivery.documentId}.xml`))).toEqual(delivery.bytes)
    expect(await readdir(join(root, 'inbox'))).toEqual([`${delivery.documentId}.xml`])
  })

  test('a path that is a file, not a folder, is a permanent failure', async () => {
    await writeFile(join(root, 'plain-file'), 'x')
    const out = await dropFolderChannel(root)(pathToFileURL(join(root, 'plain-file')), delivery)
    expect(out.outcome).toBe('failed')
    expect(out.detail).toMatch(/ENOTDIR|EEXIST/)
  })

  test('a folder outside the root is refused without writing, naming the setting', async () => {
    const out = await dropFolderChannel(root)(pathToFileURL(outside), delivery)
    expect(out).toEqual({ outcome: 'failed', detail: expect.stringContaining('outside the drop root') })
    expect(out.detail).toContain('FACTEUR_DROP_ROOT')
    expect(await readdir(outside)).toEqual([])
  })

  test('`..` out of the root is refused', async () => {
    const out = await dropFolderChannel(root)(new URL(`${pathToFileURL(root).href}/inbox/../../${outside.split('/').at(-1)}`), delivery)
    expect(out.outcome).toBe('failed')
    expect(await readdir(outside)).toEqual([])
  })

  test.each([
    ['the folder itself', (link: string) => link],
    ['a folder below it, not yet created', (link: string) => join(link, 'sub', 'deeper')],
  ])('a symbolic link under the root leading outside is refused: %s', async (_case, folder) => {
    const link = join(root, `link-${Math.random().toString(36).slice(2)}`)
    await symlink(outside, link)
    const out = await dropFolderChannel(root)(pathToFileURL(folder(link)), delivery)
    expect(out.outcome).toBe('failed')
    expect(out.detail).toContain('through a symbolic link')
    expect(await readdir(outside)).toEqual([])
  })

  test('a link to a folder inside the root is followed', async () => {
    await mkdir(join(root, 'real'), { recursive: true })
    await symlink(join(root, 'real'), join(root, 'alias'))
    const out = await dropFolderChannel(root)(pathToFileURL(join(root, 'alias')), delivery)
    expect(out.outcome).toBe('delivered')
    expect(await readdir(join(root, 'real'))).toEqual([`${delivery.documentId}.xml`])
  })

  test('a temporary file planted as a link is removed, not written through', async () => {
    const dir = join(root, 'planted')
    await mkdir(dir)
    await writeFile(join(outside, 'victim'), 'untouched')
    await symlink(join(outside, 'victim'), join(dir, `.${delivery.documentId}.xml.partial`))
    const out = await dropFolderChannel(root)(pathToFileURL(dir), delivery)
    expect(out.outcome).toBe('delivered')
    expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('untouched')
    await rm(join(outside, 'victim'))
  })

  test.skipIf(process.getuid?.() === 0)('a folder without write permission is a permanent failure', async () => {
    const ro = join(root, 'read-only-parent')
    await mkdir(ro)
    await chmod(ro, 0o500)
    const out = await dropFolderChannel(root)(pathToFileURL(join(ro, 'inbox')), delivery)
    await chmod(ro, 0o700)
    expect(out.outcome).toBe('failed')
  })
})

describe('HTTP', () => {
  let server: http.Server
  let base: string
  let port: number
  const received: { headers: http.IncomingHttpHeaders; body: Buffer }[] = []
  let answer = 200
  const allowLoopback = (timeoutMs = 2000) => httpChannel({ timeoutMs, allowedHosts: ['127.0.0.1'] })
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
    port = (server.address() as AddressInfo).port
    base = `http://127.0.0.1:${port}`
  })
  afterAll(() => { server.closeAllConnections(); server.close() })

  test('POSTs the exact bytes with the document id for de-duplication', async () => {
    answer = 202
    const out = await allowLoopback()(new URL(`${base}/inbox`), delivery)
    expect(out).toMatchObject({ outcome: 'delivered', detail: 'HTTP 202: ok' })
    const last = received.at(-1)!
    expect(last.body).toEqual(delivery.bytes)
    expect(last.headers['x-facteur-document-id']).toBe(delivery.documentId)
    expect(last.headers['idempotency-key']).toBe(delivery.documentId)
    expect(last.headers['content-type']).toBe('application/xml')
  })

  test.each([[503, 'retry-later'], [429, 'retry-later'], [400, 'failed'], [404, 'failed']])('HTTP %i means %s', async (status, outcome) => {
    answer = status
    const out = await allowLoopback()(new URL(`${base}/inbox`), delivery)
    expect(out.outcome).toBe(outcome)
    expect(out.detail).toContain(`HTTP ${status}: refused by test server`)
  })

  test('no answer within the timeout is retried later', async () => {
    answer = 0
    const out = await allowLoopback(200)(new URL(`${base}/slow`), delivery)
    expect(out).toEqual({ outcome: 'retry-later', detail: 'no answer within 200 ms' })
  })

  test('a closed port is retried later, naming the error', async () => {
    const probe = http.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const closedPort = (probe.address() as AddressInfo).port
    await new Promise((r) => probe.close(r))
    const out = await allowLoopback()(new URL(`http://127.0.0.1:${closedPort}/x`), delivery)
    expect(out.outcome).toBe('retry-later')
    expect(out.detail).toMatch(/ECONNREFUSED/)
  })

  test('a loopback endpoint the admin did not allow fails at once, and nothing is sent', async () => {
    answer = 200
    const before = received.length
    const out = await httpChannel({ timeoutMs: 2000, allowedHosts: [] })(new URL(`${base}/inbox`), delivery)
    expect(out).toEqual({ outcome: 'failed', detail: expect.stringContaining('127.0.0.1 is a loopback address') })
    expect(received.length).toBe(before)
  })

  test('DNS rebinding: a name that now resolves to loopback is refused, though 127.0.0.1 itself is allowed', async () => {
    answer = 200
    const before = received.length
    const rebinding = httpChannel({ timeoutMs: 2000, allowedHosts: ['127.0.0.1'], resolve: async () => [{ address: '127.0.0.1', family: 4 }] })
    const out = await rebinding(new URL(`http://recipient.example:${port}/inbox`), delivery)
    expect(out).toEqual({ outcome: 'failed', detail: expect.stringContaining('recipient.example resolves to 127.0.0.1, which is a loopback address') })
    expect(received.length).toBe(before)
  })

  test('an allowed name connects to the address that was checked, keeping its Host header', async () => {
    answer = 201
    const pinned = httpChannel({ timeoutMs: 2000, allowedHosts: ['recipient.test'], resolve: async () => [{ address: '127.0.0.1', family: 4 }] })
    const out = await pinned(new URL(`http://recipient.test:${port}/inbox`), delivery)
    expect(out.outcome).toBe('delivered')
    expect(received.at(-1)!.headers.host).toBe(`recipient.test:${port}`)
  })

  test('a redirect is not followed: it fails', async () => {
    answer = 302
    const out = await allowLoopback()(new URL(`${base}/moved`), delivery)
    expect(out.outcome).toBe('failed')
  })

  test.each([[200, 'delivered'], [299, 'delivered'], [301, 'failed'], [408, 'retry-later'], [425, 'retry-later'], [500, 'retry-later']])('status %i is classified %s', (status, outcome) => {
    expect(classifyStatus(status)).toBe(outcome)
  })
})
