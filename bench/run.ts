/**
 * `npm run bench [-- NAME…]`: runs every `bench/*.bench.ts` (or those whose names contain one of NAME) and
 * prints each figure with the bar it is held to. It measures; it does not fail on a slow figure, because
 * these machines are noisy. Figures are also written to `bench/.results/latest.json`.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Bench, Figure } from './figures'

const dir = import.meta.dirname
const filters = process.argv.slice(2)
const files = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort()

const all: (Figure & { bench: string })[] = []
for (const file of files) {
  const bench = file.replace(/\.bench\.ts$/, '')
  console.log(`\n━━ ${bench}`)
  const started = performance.now()
  const module = (await import(join(dir, file))) as { default: Bench }
  await module.default({
    figure(figure) {
      all.push({ ...figure, bench })
      const target = figure.target ? `  (target ${figure.target.op} ${figure.target.value} ${figure.unit})` : ''
      const verdict = figure.target
        ? (figure.target.op === '<' ? figure.value < figure.target.value : figure.value >= figure.target.value)
          ? '  ✓'
          : '  ✗'
        : ''
      const value = Number.isInteger(figure.value) ? String(figure.value) : figure.value.toFixed(2)
      console.log(
        `  ${figure.name}: ${value} ${figure.unit}${target}${verdict}${figure.note ? `  ${figure.note}` : ''}`,
      )
    },
    log(message) {
      console.log(`  · ${message}`)
    },
  })
  console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`)
}

mkdirSync(join(dir, '.results'), { recursive: true })
writeFileSync(
  join(dir, '.results', 'latest.json'),
  JSON.stringify({ at: new Date().toISOString(), figures: all }, null, 2),
)
console.log(`\n${all.length} figures from ${files.length} benchmarks; written to bench/.results/latest.json`)
