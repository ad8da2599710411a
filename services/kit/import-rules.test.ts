// The wiring is tested (our version of phase4's SPITest): services talk only over Kafka, so no service imports
// another's folder; and only the kit (plus the infrastructure provisioning of the hub) touches the client
// libraries, so replacing kafkajs or pg stays a change to one place.
import { describe, expect, test } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const servicesDir = join(root, 'services')
const walk = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name)
  return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : []
})
const imports = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!)
const files = walk(servicesDir)
const serviceOf = (file: string) => relative(servicesDir, file).split('/')[0]!

// Libraries shared by services, holding no service's state and reading no topic: the kit (plumbing), peppol
// (the Peppol protocol: identifiers, SBDH, SML/SMP, XML signatures, PKI — used by the gateway's SMP and AS4
// endpoints and by the forwarder's AS4 channel) and pdf (an invoice rendered as a readable PDF, and Factur-X out —
// used by the gateway to render on request and by the forwarder for recipients who ask for Factur-X).
const sharedFolders = ['kit', 'peppol', 'pdf']
const clientLibraries = ['kafkajs', 'pg', 'pino', 'avsc', '@kafkajs/confluent-schema-registry', 'prom-client']

describe('import rules', () => {
  test('no service imports another service’s folder (the hub, which starts them all, excepted; shared libraries allowed)', () => {
    const offences: string[] = []
    for (const file of files) {
      const own = serviceOf(file)
      if (own === 'hub') continue
      for (const spec of imports(file).filter((s) => s.startsWith('.'))) {
        const target = resolve(dirname(file), spec)
        if (!target.startsWith(servicesDir)) continue
        const other = serviceOf(target)
        if (other !== own && !sharedFolders.includes(other)) offences.push(`${relative(root, file)} imports ${spec}`)
      }
    }
    expect(offences).toEqual([])
  })

  test('only the kit and the hub’s infrastructure provisioning import the client libraries', () => {
    const offences: string[] = []
    for (const file of files) {
      const rel = relative(servicesDir, file)
      if (rel.startsWith('kit/') || rel.startsWith('hub/local/')) continue
      for (const spec of imports(file)) if (clientLibraries.includes(spec)) offences.push(`${relative(root, file)} imports ${spec}`)
    }
    expect(offences).toEqual([])
  })

  test('the scan sees the code (it would pass vacuously on an empty tree)', () => {
    expect(files.length).toBeGreaterThan(20)
    expect(files.some((f) => imports(f).includes('kafkajs'))).toBe(true)
  })
})
