// `npm run artefacts` (and npm postinstall): resolve, verify and compile the rule packs and XML schemas, the
// packs the operator has supplied (`npx facteur packs list` says which are missing and where to get them), and
// OpenPeppol's rules for the monthly reports (services/peppol/reporting-check.ts).
import { ensureArtefacts, ensureReportingArtefacts } from './artefacts.js'

const started = Date.now()
const say = (m: string) => { process.stderr.write(`facteur: ${m}\n`) }
try {
  const { packs, schemas, supplied = [] } = await ensureArtefacts({ onProgress: say })
  for (const p of packs) process.stderr.write(`facteur: rule pack ${p.id} ${p.version} ready\n`)
  // Supplied packs: ready when the operator has put the file in FACTEUR_PACKS_DIR; a missing one was reported above.
  for (const p of supplied) if (p.status === 'supplied') process.stderr.write(`facteur: rule pack ${p.id} ${p.version} ready (supplied: ${p.path})\n`)
  for (const s of schemas) process.stderr.write(`facteur: XML schema ${s.title} ready\n`)
  const reporting = await ensureReportingArtefacts({ onProgress: say })
  for (const r of reporting) process.stderr.write(`facteur: reporting rules ${r.id} ${r.version} (XSD ${r.xsd.version}) ready\n`)
  process.stderr.write(`facteur: ${packs.length} rule packs and ${schemas.length} XML schemas ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
} catch (error) {
  process.stderr.write(`facteur: the validation artefacts could not be prepared: ${(error as Error).message}\n`)
  process.exit(1)
}
