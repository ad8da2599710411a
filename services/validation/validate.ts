// Runs the official rule packs for a document's syntax with SaxonJS. Each pack's SEF is loaded once;
// a transform per document produces SVRL, which becomes findings.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Finding, Syntax } from '../../schemas/events.js'
import { ensureArtefacts, type ResolvedPack } from './artefacts.js'
import { parseSvrl, ruleErrorFinding } from './findings.js'

const SaxonJS = createRequire(import.meta.url)('saxon-js') as {
  transform(options: Record<string, unknown>, mode: 'sync'): { principalResult: string }
}

export type Verdict = { valid: boolean; findings: Finding[]; packs: string[] }
export type Validator = { validate(xml: string, syntax: Syntax): Verdict; packs: ResolvedPack[] }

export async function createValidator(options: { onProgress?: (m: string) => void } = {}): Promise<Validator> {
  const packs = await ensureArtefacts({ onProgress: options.onProgress })
  const loaded = packs.map((pack) => ({ pack, sef: JSON.parse(readFileSync(pack.sefPath, 'utf8')) as unknown }))
  return {
    packs,
    validate(xml, syntax) {
      const findings: Finding[] = []
      const ran: string[] = []
      for (const { pack, sef } of loaded.filter((l) => l.pack.syntaxes.includes(syntax))) {
        ran.push(`${pack.id}:${pack.version}`)
        try {
          const result = SaxonJS.transform({ stylesheetInternal: sef, sourceText: xml, destination: 'serialized' }, 'sync')
          findings.push(...parseSvrl(result.principalResult, pack.pack))
        } catch (error) {
          findings.push(ruleErrorFinding(pack.pack, error))
        }
      }
      return { valid: !findings.some((f) => f.severity === 'fatal'), findings, packs: ran }
    },
  }
}
