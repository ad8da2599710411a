// Entry of the Factur-X reader thread when run from the sources (node with tsx, vitest): it registers tsx for
// this thread, then loads the TypeScript (compiled, dist/ starts facturx-worker.js directly). As validation/worker.mjs.
import { register } from 'tsx/esm/api'

register()
await import('./facturx-worker.ts')
