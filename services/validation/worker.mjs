// Entry of a validation worker thread. Plain JavaScript so that it starts the same way under node, tsx and
// vitest: it registers tsx for this thread, then loads the TypeScript worker.
import { register } from 'tsx/esm/api'

register()
await import('./worker.ts')
