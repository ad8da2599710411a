import { defineConfig } from 'vitest/config'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

// Two projects: fast unit tests beside the code, and integration tests on real Kafka, registry and PostgreSQL.
export default defineConfig({
  test: {
    root,
    projects: [
      {
        test: {
          name: 'unit',
          root,
          include: ['services/**/*.test.ts', 'schemas/**/*.test.ts', 'schematron/**/*.test.ts', 'bin/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          root,
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // One hub per run (started by test/setup.ts); the files share it and run one after another.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
})
