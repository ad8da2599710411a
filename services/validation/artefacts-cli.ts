// `npm run artefacts` (and npm postinstall): resolve, verify and compile the official rule packs.
import { ensureArtefacts } from './artefacts.js'

const started = Date.now()
try {
  const packs = await ensureArtefacts({ onProgress: (m) => process.stderr.write(`facteur: ${m}\n`) })
  for (const p of packs) process.stderr.write(`facteur: rule pack ${p.id} ${p.version} ready (${p.sefPath})\n`)
  process.stderr.write(`facteur: ${packs.length} rule packs ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
} catch (error) {
  process.stderr.write(`facteur: the validation artefacts could not be prepared: ${(error as Error).message}\n`)
  process.exit(1)
}
