import { describe, expect, it } from 'vitest'
import type { AddressInfo } from 'node:net'
import { readiness, serveHealth, withinTime } from './health.js'

describe('withinTime', () => {
  it('gives the work\'s result when it comes in time', async () => {
    expect(await withinTime(Promise.resolve(42), 1_000, 'the answer')).toBe(42)
  })

  it('fails naming what did not answer once the time is up (a pool waiting for PostgreSQL never settles)', async () => {
    await expect(withinTime(new Promise(() => {}), 50, 'the outbox backlog')).rejects.toThrow('the outbox backlog: no answer within 0.05 s')
  })
})

describe('readiness', () => {
  it('collects the failing checks by name, thrown or returned', async () => {
    expect(await readiness({ ok: async () => null, said: async () => 'broker down', threw: async () => { throw new Error('refused') } }))
      .toEqual({ said: 'broker down', threw: 'refused' })
  })
})

describe('serveHealth', () => {
  it('serves /metrics when given a registry, and 503 with the reason when it cannot be read', async () => {
    let fail = false
    const server = await serveHealth({
      host: '127.0.0.1', port: 0, checks: {},
      metrics: { contentType: 'text/plain; version=0.0.4; charset=utf-8', text: async () => { if (fail) throw new Error('broken'); return 'x_total 1\n' } },
    })
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const ok = await fetch(`${url}/metrics`)
      expect(ok.status).toBe(200)
      expect(ok.headers.get('content-type')).toContain('version=0.0.4')
      expect(await ok.text()).toBe('x_total 1\n')
      fail = true
      const failed = await fetch(`${url}/metrics`)
      expect(failed.status).toBe(503)
      expect(await failed.text()).toContain('broken')
      expect((await fetch(`${url}/readyz`)).status).toBe(200)
    } finally {
      server.close()
    }
  })
})
