// The XPath constructs a pack's rules use: every function, axis, operator and node test of its contexts,
// tests, lets and message parts, counted. What the compiler must support is read from this, not guessed.
// Run: npx tsx services/validation/native/census.ts <pack.xslt>
import type { Expr } from './xpath/ast.js'
import { parseXPath } from './xpath/parse.js'
import type { RulesData } from './load-xslt.js'

export type Census = Record<'functions' | 'axes' | 'operators' | 'nodeTests' | 'expressions' | 'types', Record<string, number>>

export function censusOf(rules: RulesData): Census {
  const census: Census = { functions: {}, axes: {}, operators: {}, nodeTests: {}, expressions: {}, types: {} }
  const bump = (group: keyof Census, key: string) => { census[group][key] = (census[group][key] ?? 0) + 1 }
  const visit = (e: Expr) => {
    bump('expressions', e.t)
    switch (e.t) {
      case 'step':
        bump('axes', e.axis)
        bump('nodeTests', e.test.t === 'kind' ? `${e.test.kind}()` : e.test.local === null ? (e.test.ns === null ? '*' : 'prefix:*') : e.test.ns === null ? '*:name' : 'name')
        e.preds.forEach(visit)
        return
      case 'filter': visit(e.base); e.preds.forEach(visit); return
      case 'path': case 'and': case 'or': case 'union': case 'intersect': case 'except': case 'range':
        visit(e.left); visit(e.right); return
      case 'arith': case 'general': case 'value': case 'node-comp':
        bump('operators', e.op); visit(e.left); visit(e.right); return
      case 'call': bump('functions', e.local === e.local.toString() && e.ns.endsWith('XMLSchema') ? `xs:${e.local}` : e.ns.endsWith('xpath-functions') ? e.local : `{${e.ns}}${e.local}`); e.args.forEach(visit); return
      case 'sequence': e.items.forEach(visit); return
      case 'neg': visit(e.operand); return
      case 'if': visit(e.cond); visit(e.then); visit(e.else); return
      case 'for': case 'some': case 'every': visit(e.in); visit(e.body); return
      case 'cast': case 'castable': bump('types', `${e.t} ${e.type}`); visit(e.operand); return
      case 'instance': case 'treat': bump('types', `${e.t} ${e.type.type}${e.type.occurrence}`); visit(e.operand); return
      default: return
    }
  }
  for (const pattern of rules.patterns) {
    for (const rule of pattern.rules) {
      visit(parseXPath(rule.context, rules.namespaces))
      for (const item of rule.body) {
        if ('let' in item) { visit(parseXPath(item.let.select, rules.namespaces)); continue }
        visit(parseXPath(item.check.test, rules.namespaces))
        for (const part of item.check.message) if (part.select !== undefined) visit(parseXPath(part.select, rules.namespaces))
      }
    }
  }
  return census
}

export function formatCensus(census: Census): string {
  return Object.entries(census).map(([group, counts]) =>
    `${group}: ${Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`).join('\n')
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const { readFileSync } = await import('node:fs')
  const { loadXslt } = await import('./load-xslt.js')
  for (const file of process.argv.slice(2)) {
    console.log(`# ${file}`)
    console.log(formatCensus(censusOf(loadXslt(readFileSync(file)))))
  }
}
