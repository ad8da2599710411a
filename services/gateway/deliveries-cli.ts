// `npx facteur deliveries …` (ops-cli.ts).
import { runOps } from './ops-cli.js'

export const main = (argv: string[]) => runOps('deliveries', argv)
