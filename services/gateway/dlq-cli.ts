// `npx facteur dlq …` (ops-cli.ts).
import { runOps } from './ops-cli.js'

export const main = (argv: string[]) => runOps('dlq', argv)
