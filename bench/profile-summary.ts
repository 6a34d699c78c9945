/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --profile`):
 * the functions with the most self time, and self time per file.
 *
 *   node dist/bench/profile-summary.js bench/results/profiles/<file>.cpuprofile [top]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, topArg] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: profile-summary <file.cpuprofile> [top]\n')
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const top = Number(topArg ?? 30)
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const self = new Map<number, number>()
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0))
const total = [...self.values()].reduce((a, b) => a + b, 0)

const byFunction = new Map<string, number>()
const byFile = new Map<string, number>()
for (const [id, micros] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame
  const where = url.replace(/^file:\/\/.*?node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, 'dist/') || '(native)'
  const key = `${functionName || '(anonymous)'}  ${where}:${lineNumber + 1}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros)
  const fileKey = where.replace(/:\d+$/, '')
  byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + micros)
}
const show = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`)
  for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}\n`)
  }
}
process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n`)
show('self time by function', byFunction)
show('self time by file', byFile)
