// `npm run artefacts` (and npm postinstall): resolve, verify and compile the rule packs and XML schemas, and the
// packs the operator has supplied (`npx facteur packs list` says which are missing and where to get them).
import { ensureArtefacts } from './artefacts.js'

const started = Date.now()
try {
  const { packs, schemas, supplied = [] } = await ensureArtefacts({ onProgress: (m) => process.stderr.write(`facteur: ${m}\n`) })
  for (const p of packs) process.stderr.write(`facteur: rule pack ${p.id} ${p.version} ready\n`)
  // Supplied packs: ready when the operator has put the file in FACTEUR_PACKS_DIR; a missing one was reported above.
  for (const p of supplied) if (p.status === 'supplied') process.stderr.write(`facteur: rule pack ${p.id} ${p.version} ready (supplied: ${p.path})\n`)
  for (const s of schemas) process.stderr.write(`facteur: XML schema ${s.title} ready\n`)
  process.stderr.write(`facteur: ${packs.length} rule packs and ${schemas.length} XML schemas ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
} catch (error) {
  process.stderr.write(`facteur: the validation artefacts could not be prepared: ${(error as Error).message}\n`)
  process.exit(1)
}
