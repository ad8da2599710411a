// A random valid SIRET (14 digits, Luhn key): a fresh recipient for each test or benchmark run. Pure, so the
// benchmarks under bench/ use it too.
export function randomSiret(): string {
  const digits = Array.from({ length: 13 }, () => Math.floor(Math.random() * 10))
  for (let check = 0; check < 10; check++) {
    const all = [...digits, check]
    const sum = all.reverse().reduce((s, d, i) => s + (i % 2 === 1 ? ((d * 2) % 10) + Math.floor((d * 2) / 10) : d), 0)
    if (sum % 10 === 0) return [...digits, check].join('')
  }
  throw new Error('unreachable')
}
