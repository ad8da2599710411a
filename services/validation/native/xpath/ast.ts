// The AST of the XPath 2.0 subset the rule packs use (XPath 2.0 §3). Names are resolved to namespace URIs
// by the parser, so the compiler never sees prefixes.

export type Axis =
  | 'child' | 'descendant' | 'attribute' | 'self' | 'descendant-or-self' | 'following-sibling' | 'following'
  | 'parent' | 'ancestor' | 'preceding-sibling' | 'preceding' | 'ancestor-or-self'

/** A node test (§3.2.1.2): a name test (null = wildcard for that part) or a kind test. */
export type NodeTest =
  | { t: 'name'; ns: string | null; local: string | null }
  | { t: 'kind'; kind: 'node' | 'text' | 'element' | 'attribute' | 'comment' | 'document-node' | 'processing-instruction' }

/** xs:… types used in casts, `castable as`, `instance of` (§3.10): a QName of the XML Schema namespace. */
export type SequenceType = { type: string; occurrence: '' | '?' | '*' | '+' }

export type Literal = { t: 'string'; value: string } | { t: 'integer'; value: string } | { t: 'decimal'; value: string } | { t: 'double'; value: number }

export type Expr =
  | Literal
  | { t: 'var'; name: string }
  | { t: 'context' }
  | { t: 'root' }
  | { t: 'step'; axis: Axis; test: NodeTest; preds: Expr[] }
  | { t: 'filter'; base: Expr; preds: Expr[] }
  /** `l/r` (§3.2): r evaluated for each node of l, results in document order without duplicates. */
  | { t: 'path'; left: Expr; right: Expr }
  | { t: 'call'; ns: string; local: string; args: Expr[] }
  | { t: 'sequence'; items: Expr[] }
  | { t: 'arith'; op: '+' | '-' | '*' | 'div' | 'idiv' | 'mod'; left: Expr; right: Expr }
  | { t: 'neg'; operand: Expr }
  | { t: 'general'; op: '=' | '!=' | '<' | '<=' | '>' | '>='; left: Expr; right: Expr }
  | { t: 'value'; op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'; left: Expr; right: Expr }
  | { t: 'node-comp'; op: 'is' | '<<' | '>>'; left: Expr; right: Expr }
  | { t: 'and' | 'or'; left: Expr; right: Expr }
  | { t: 'union' | 'intersect' | 'except'; left: Expr; right: Expr }
  | { t: 'range'; left: Expr; right: Expr }
  | { t: 'if'; cond: Expr; then: Expr; else: Expr }
  | { t: 'for'; name: string; in: Expr; body: Expr }
  | { t: 'some' | 'every'; name: string; in: Expr; body: Expr }
  | { t: 'cast' | 'castable'; operand: Expr; type: string; optional: boolean }
  | { t: 'instance' | 'treat'; operand: Expr; type: SequenceType }

export const XS_NS = 'http://www.w3.org/2001/XMLSchema'
export const FN_NS = 'http://www.w3.org/2005/xpath-functions'
