// Types of bin/build.mjs (plain JavaScript, run before TypeScript is available) for the TypeScript that imports it.
export declare const repoRoot: string
export declare function sourceFingerprint(root?: string): string
export declare function buildIsCurrent(root?: string): boolean
export declare function compiledPath(tsPath: string, root?: string, env?: NodeJS.ProcessEnv): string | null
export declare function build(root?: string, say?: (message: string) => void): boolean
