import { describe, expect, test } from 'vitest'
import { checkEndpoint, checkHost, classifyAddress, dropFolderPath, redactUrl, type Resolve } from './endpoint-policy.js'

describe('classifyAddress', () => {
  test.each([
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['fc00::1', 'private'], ['fd12:3456::1', 'private'],
    ['100.64.0.1', 'cgnat'], ['100.127.255.255', 'cgnat'],
    ['169.254.169.254', 'link-local'], ['fe80::1', 'link-local'], ['febf::1', 'link-local'],
    ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'], ['224.0.0.1', 'multicast'], ['239.1.2.3', 'multicast'], ['ff02::1', 'multicast'],
    // IPv4 carried in IPv6: judged by the IPv4 address the kernel connects to
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'], ['64:ff9b::7f00:1', 'loopback'], ['::127.0.0.1', 'loopback'],
    ['not-an-ip', 'reserved'],
  ])('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind)
  })

  test.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '93.184.216.34'])('%s is public', (ip) => {
    expect(classifyAddress(ip)).toBeNull()
  })
})

describe('checkHost', () => {
  const resolver = (answers: Record<string, string[]>): Resolve => async (host) => {
    const list = answers[host]
    if (!list) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' })
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
  const dns = resolver({ 'public.example': ['93.184.216.34'], 'rebind.example': ['93.184.216.34', '127.0.0.1'], localhost: ['127.0.0.1', '::1'] })

  test('a host resolving to public addresses only is accepted, with its addresses', async () => {
    expect(await checkHost('public.example', { allowedHosts: [] }, dns)).toEqual({ ok: true, addresses: [{ address: '93.184.216.34', family: 4 }] })
  })

  test('one private answer among public ones is refused, naming the address', async () => {
    const out = await checkHost('rebind.example', { allowedHosts: [] }, dns)
    expect(out).toEqual({ ok: false, reason: expect.stringContaining('resolves to 127.0.0.1, which is a loopback address') })
  })

  test('the allow-list is by host name: 127.0.0.1 allowed does not allow localhost', async () => {
    expect((await checkHost('127.0.0.1', { allowedHosts: ['127.0.0.1'] }, dns)).ok).toBe(true)
    const out = await checkHost('localhost', { allowedHosts: ['127.0.0.1'] }, dns)
    expect(out.ok).toBe(false)
    expect((await checkHost('LOCALHOST'.toLowerCase(), { allowedHosts: ['LocalHost'] }, dns)).ok).toBe(true)
  })

  test('a host that does not resolve is refused with the resolver error', async () => {
    expect(await checkHost('nowhere.example', { allowedHosts: [] }, dns)).toEqual({ ok: false, reason: 'the host nowhere.example does not resolve (ENOTFOUND)' })
  })
})

describe('file endpoints under the drop root', () => {
  const policy = { allowedHosts: [], dropRoot: '/srv/facteur/inbox' }
  test.each([
    ['file:///srv/facteur/inbox', true],
    ['file:///srv/facteur/inbox/mairie', true],
    ['file:///srv/facteur/inbox-other', false],
    ['file:///etc', false],
    ['file:///srv/facteur/inbox/../../../etc', false],
    ['file:///srv/facteur/inbox/%2e%2e/x', false],
    ['file:///srv/facteur/inbox/a/../b', false],
  ])('%s accepted: %s', async (url, ok) => {
    expect((await checkEndpoint(url, policy)).ok).toBe(ok)
  })

  test('the refusal names the root setting', () => {
    expect(dropFolderPath(new URL('file:///etc/cron.d'), policy.dropRoot)).toEqual({ ok: false, reason: expect.stringContaining('outside the drop root /srv/facteur/inbox (FACTEUR_DROP_ROOT)') })
  })
})

describe('redactUrl', () => {
  test.each([
    ['postgres://facteur:s3cret@db:5432/facteur', 'postgres://***@db:5432/facteur'],
    ['https://user@example.com/in', 'https://***@example.com/in'],
    ['http://example.com/a@b', 'http://example.com/a@b'],
    ['postgres://db/facteur', 'postgres://db/facteur'],
  ])('%s → %s', (raw, redacted) => {
    expect(redactUrl(raw)).toBe(redacted)
  })
})

describe('Peppol endpoints', () => {
  test('`peppol:` is accepted at registration (its AS4 URL, from the SMP, is checked at each delivery); other peppol: forms are not', async () => {
    const policy = { allowedHosts: [], dropRoot: '/srv/facteur/inbox' }
    expect(await checkEndpoint('peppol:', policy)).toEqual({ ok: true })
    expect(await checkEndpoint('peppol:0088:123', policy)).toEqual({ ok: false, reason: 'the protocol peppol: is not supported' })
  })
})
