// A stylesheet's declarations outside its rules (load-xslt.ts: `globals`, `functions`), as the Statics the
// XPath compiler resolves names against. What they reproduce of XSLT 2.0 run by Saxon:
// - global variables and parameters (§9.5): evaluated with the document node as context item, lazily, once
//   per document (a value cached on the tree under this pack's key), so a variable no rule reads never
//   raises an error, as in Saxon, which evaluates globals on first use; `as` converts the value (§9.3);
// - stylesheet functions (§10.3): arguments and result converted with the function conversion rules
//   (XPath 2.0 §3.1.5: atomize, cast untypedAtomic to the declared type, promote numerics, check the
//   cardinality, else XPTY0004); no focus inside the body; xsl:variable, xsl:sequence and xsl:choose run in
//   order, their results concatenated. Recursion (Peppol's u:addPIVA) works: a call compiles to a late-bound
//   reference to the function's body.
import type { Global, FunctionItem, RulesData, UserFunction } from './load-xslt.js'
import { parseXPath } from './xpath/parse.js'
import { type Ctx, type Fn, type Scope, type Statics, bind, compile, compileBool, newScope } from './xpath/compile.js'
import type { Tree } from './xpath/tree.js'
import { type Item, type Seq, atomize, castAs, isUntyped, numericValue, typeName, untyped, xpathError } from './xpath/values.js'

/** The Statics of one pack: its global variables and its functions. */
export function declarationsOf(rules: Pick<RulesData, 'globals' | 'functions' | 'namespaces'>): Statics {
  const ns = rules.namespaces
  const statics: Statics = {}
  const cacheKey = {}
  const globalIndex = new Map(rules.globals.map((g, i) => [g.name, i]))
  const globalFns: (Fn | 'compiling' | undefined)[] = []
  const globalScopes: Scope[] = []

  const compileGlobal = (i: number): Fn => {
    const done = globalFns[i]
    if (done === 'compiling') throw xpathError('XTDE0640', `Circular definition of the global variable $${rules.globals[i]!.name}`)
    if (done) return done
    globalFns[i] = 'compiling'
    const g: Global = rules.globals[i]!
    const scope = (globalScopes[i] = newScope(statics))
    const select = compile(parseXPath(g.select, ns), scope)
    const fn: Fn = g.as === null ? select : (ctx) => convert(select(ctx), g.as!, `variable $${g.name}`)
    globalFns[i] = fn
    return fn
  }

  statics.variable = (name) => {
    const i = globalIndex.get(name)
    if (i === undefined) return undefined
    // Compiled on first reference (a global may refer to another declared after it, §9.5).
    let fn: Fn | null = null
    return (ctx) => {
      const values = valuesOf(ctx.tree)
      let v = values[i]
      if (v === undefined) {
        fn ??= compileGlobal(i)
        const root = ctx.tree.root
        v = fn({ item: root, pos: 1, size: 1, env: new Array(globalScopes[i]!.size.n), current: root, tree: ctx.tree })
        values[i] = v
      }
      return v
    }
  }
  const valuesOf = (tree: Tree): (Seq | undefined)[] => {
    let values = tree.cache.get(cacheKey) as (Seq | undefined)[] | undefined
    if (!values) tree.cache.set(cacheKey, (values = []))
    return values
  }

  type Body = (ctx: Ctx) => Seq
  const bodies = new Map<UserFunction, { run: Body | null; slots: { n: number }; params: number[] }>()
  const compiled = (def: UserFunction) => {
    let entry = bodies.get(def)
    if (entry) return entry
    // Registered before the body is compiled, so a recursive call finds it.
    let scope = newScope(statics)
    const params: number[] = []
    entry = { run: null, slots: scope.size, params }
    bodies.set(def, entry)
    for (const p of def.params) { const b = bind(scope, p.name); scope = b.scope; params.push(b.slot) }
    entry.run = compileBody(def.body, scope)
    return entry
  }

  const compileBody = (items: FunctionItem[], start: Scope): Body => {
    let scope = start
    const steps: ((ctx: Ctx, out: Item[]) => void)[] = []
    for (const item of items) {
      if ('sequence' in item) {
        const f = compile(parseXPath(item.sequence, ns), scope)
        steps.push((ctx, out) => { for (const x of f(ctx)) out.push(x) })
      } else if ('variable' in item) {
        const v = item.variable
        // Text content makes a temporary tree (§9.4): a document node whose atomized value is untypedAtomic.
        const value: Body = v.select !== undefined ? compile(parseXPath(v.select, ns), scope)
          : v.body !== undefined ? compileBody(v.body, scope)
            : ((text: string) => () => [untyped(text)])(v.text ?? '')
        const b = bind(scope, v.name)
        scope = b.scope
        const slot = b.slot, as = v.as
        steps.push((ctx) => { ctx.env[slot] = as === null ? value(ctx) : convert(value(ctx), as, `variable $${v.name}`) })
      } else {
        const branches = item.choose.when.map((w) => ({ test: compileBool(parseXPath(w.test, ns), scope), body: compileBody(w.body, scope) }))
        const otherwise = compileBody(item.choose.otherwise, scope)
        steps.push((ctx, out) => {
          for (const b of branches) if (b.test(ctx)) { for (const x of b.body(ctx)) out.push(x); return }
          for (const x of otherwise(ctx)) out.push(x)
        })
      }
    }
    return (ctx) => { const out: Item[] = []; for (const s of steps) s(ctx, out); return out }
  }

  statics.function = (fnNs, local, args) => {
    const def = rules.functions.find((f) => f.ns === fnNs && f.local === local && f.params.length === args.length)
    if (!def) return undefined
    const entry = compiled(def)
    const name = `${local}#${args.length}`
    return (ctx) => {
      const env = new Array(entry.slots.n)
      def.params.forEach((p, i) => { env[entry.params[i]!] = p.as === null ? args[i]!(ctx) : convert(args[i]!(ctx), p.as, `argument ${i + 1} of ${name}`) })
      // XSLT 2.0 §10.3: the focus is absent in a function body.
      const result = entry.run!({ item: null, pos: 0, size: 0, env, current: null, tree: ctx.tree })
      return def.as === null ? result : convert(result, def.as, `result of ${name}`)
    }
  }
  return statics
}

/** XPath 2.0 §3.1.5, the function conversion rules, for the sequence types the packs declare. */
export function convert(seq: Seq, as: string, what: string): Seq {
  const m = /^\s*(.*?)\s*([?*+]?)\s*$/.exec(as)!
  const type = m[1]!, occurrence = m[2]!
  let out = seq
  if (type.startsWith('xs:') && type !== 'xs:anyAtomicType') {
    out = seq.map((item) => {
      const a = atomize(item)
      // Saxon reports a failed cast here as the conversion's type error, not as the cast's FORG0001.
      if (isUntyped(a)) {
        try { return castAs(a, type) } catch (error) {
          if ((error as { code?: string }).code !== 'FORG0001') throw error
          throw xpathError('XPTY0004', `Required item type of ${what} is ${type}; supplied value ${JSON.stringify(a.v)} cannot be converted`)
        }
      }
      const t = typeName(a)
      if (t === type || (type === 'xs:decimal' && t === 'xs:integer')) return a
      if ((type === 'xs:double' || type === 'xs:float') && (t === 'xs:integer' || t === 'xs:decimal')) return numericValue(a)
      throw xpathError('XPTY0004', `Required item type of ${what} is ${type}; supplied value has type ${t}`)
    })
  } else if (type === 'xs:anyAtomicType') {
    out = seq.map(atomize)
  }
  const n = out.length
  if ((occurrence === '' && n !== 1) || (occurrence === '?' && n > 1) || (occurrence === '+' && n === 0)) {
    throw xpathError('XPTY0004', `Required cardinality of ${what} is ${occurrence === '' ? 'exactly one' : occurrence === '?' ? 'zero or one' : 'one or more'}; supplied value has ${n} item${n === 1 ? '' : 's'}`)
  }
  return out
}
