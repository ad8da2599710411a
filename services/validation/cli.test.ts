// `facteur validate` as a user runs it: the real command in a child process, on our own fixtures.
import { describe, expect, test } from 'vitest'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { formatReport, jsonReport, type FileReport } from './cli.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const run = (...args: string[]) => promisify(execFile)(process.execPath, ['bin/facteur.mjs', 'validate', '--workers', '1', ...args], { cwd: root })
  .then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }))

const report: FileReport = {
  file: 'a.xml', valid: false, syntax: 'ubl-invoice', ran: ['xsd:ubl-invoice', 'en16931-ubl:1.3.16'],
  findings: [
    { ruleId: 'BR-S-08', severity: 'warning', location: '/x', message: 'w', pack: 'en16931', packVersion: '1.3.16', line: 40 },
    { ruleId: 'BR-CO-15', severity: 'fatal', location: '/y', message: 'totals', pack: 'en16931', packVersion: '1.3.16', line: 12 },
  ],
}

describe('facteur validate', () => {
  test('the readable report groups findings by severity, fatal first, with lines and packs', () => {
    expect(formatReport(report)).toBe([
      'FAIL  a.xml  (ubl-invoice: xsd:ubl-invoice, en16931-ubl:1.3.16)',
      '  fatal (1)',
      '    line 12    BR-CO-15 [en16931 1.3.16]  totals',
      '  warning (1)',
      '    line 40    BR-S-08 [en16931 1.3.16]  w',
    ].join('\n'))
  })

  test('--json gives the documented fields', () => {
    const line = JSON.parse(jsonReport(report)) as { file: string; valid: boolean; findings: Record<string, unknown>[] }
    expect(line).toMatchObject({ file: 'a.xml', valid: false })
    expect(Object.keys(line.findings[0]!)).toEqual(expect.arrayContaining(['ruleId', 'severity', 'location', 'line', 'message', 'pack']))
  })

  test('exit code 0 when every file is valid', async () => {
    const r = await run('test/fixtures/ubl-invoice.xml', 'schematron/fr-b2g/cases/FR-B2G-01.cii.ok.xml')
    expect(r.stdout).toMatch(/^PASS {2}test\/fixtures\/ubl-invoice\.xml/m)
    expect(r.code).toBe(0)
  }, 60_000)

  test('exit code 1 when one is not; --json is one object per file per line, in the order given', async () => {
    const r = await run('--json', 'test/fixtures/ubl-invoice-invalid-totals.xml', 'test/fixtures/cii-invoice.xml')
    expect(r.code).toBe(1)
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; valid: boolean; findings: { ruleId: string; line: number | null }[] })
    expect(lines.map((l) => [l.file, l.valid])).toEqual([['test/fixtures/ubl-invoice-invalid-totals.xml', false], ['test/fixtures/cii-invoice.xml', true]])
    expect(lines[0]!.findings.find((f) => f.ruleId === 'BR-CO-15')?.line).toBeGreaterThan(0)
  }, 60_000)

  test('a directory is searched for XML files, one report each', async () => {
    const r = await run('--json', 'schematron/fr-b2g')
    const files = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { file: string }).file)
    expect(files.length).toBeGreaterThanOrEqual(21)
    expect(files.every((f) => f.startsWith('schematron/fr-b2g/cases/') && f.endsWith('.xml'))).toBe(true)
    expect(r.code).toBe(1)
  }, 60_000)

  test('--pack runs only the named packs; an unknown pack is a usage error naming the known ones', async () => {
    const only = await run('--json', '--pack', 'fr-b2g', 'schematron/fr-b2g/cases/FR-B2G-03.ubl.ko.xml')
    expect((JSON.parse(only.stdout) as { findings: { pack: string }[] }).findings.map((f) => f.pack)).toEqual(['fr-b2g'])
    const bad = await run('--pack', 'nope', 'x.xml')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('en16931, fr-extended-ctc, peppol-bis-billing-3, fr-ctc, fr-b2g')
  }, 60_000)

  test('--engine native gives the verdicts of --engine saxonjs and lists which engine runs each pack; another engine is a usage error', async () => {
    const files = ['test/fixtures/ubl-invoice-invalid-totals.xml', 'test/fixtures/cii-invoice.xml', 'schematron/fr-b2g/cases/FR-B2G-03.ubl.ko.xml']
    const [native, saxonjs] = await Promise.all([run('--json', '--engine', 'native', ...files), run('--json', '--engine', 'saxonjs', ...files)])
    expect(native.code).toBe(1)
    expect(native.stdout).toBe(saxonjs.stdout)
    const packs = await run('--packs', '--engine', 'native')
    expect(packs.stdout).toMatch(/^en16931 +1\.3\.16 +ubl-invoice,ubl-creditnote +native /m)
    expect(packs.stdout).toMatch(/^peppol-bis-billing-3 +2025\.11 +\S+ +native /m)
    expect(packs.stdout).toMatch(/^fr-b2g +1\.0\.0 +\S+ +native /m)
    const human = await run('--engine', 'native', 'test/fixtures/ubl-invoice.xml')
    expect(human.stdout).toContain('en16931-ubl:1.3.16@native')
    const bad = await run('--engine', 'java', 'x.xml')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--engine takes native or saxonjs')
  }, 60_000)

  test('--packs lists every pack with its version; a file that is not XML gets a finding, not a crash', async () => {
    const packs = await run('--packs')
    expect(packs.stdout).toMatch(/^en16931 +1\.3\.16/m)
    expect(packs.stdout).toMatch(/^peppol-bis-billing-3 +2025\.11/m)
    const json = await run('test/fixtures/manifest.json')
    expect(json.code).toBe(1)
    expect(json.stdout).toContain('FACTEUR-XML-MALFORMED')
  }, 60_000)
})
