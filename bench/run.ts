/**
 * `npm run bench`: gangway side by side with raw ws, Socket.IO and NestJS, in one run.
 *
 *   npm run bench                  full suite (3 repetitions, both write modes, ~40 min), writes BENCHMARKS.md
 *   npm run bench -- --quick       a subset with 1 repetition, about 2.5 minutes, for checking a change
 *   npm run bench -- --smoke       a few connections for a few hundred ms: does the harness work?
 *
 * Options: --targets gangway,raw-ws,...  --scenarios rpc,fanout,idle  --reps N
 *          --writes batched,per-frame (how the generator writes its frames, not to be confused
 *                   with --write; default both, batched only with --smoke; see docs/benchmarks.md)
 *          --warmup MS  --window MS  --profile (server --cpu-prof into bench/results/profiles)
 *          --write / --no-write (BENCHMARKS.md; default: write in full mode only)
 *          --extras / --no-extras (npm run bench:cluster / bench:bridge; default: full mode only)
 *          --out DIR (results, chart and log; default bench/results)
 *          --report FILE (render the tables, chart and BENCHMARKS.md block of a saved run again;
 *                         with --extras, first run the extra suites and store them in that run)
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { canPin, killAll } from './harness/children.js'
import { findRoot } from './harness/repo-root.js'
import { availableExtras, runExtra, type ExtraSuite } from './harness/extra-suites.js'
import { estimateSeconds, FULL, pauseAfterMs, planRuns, QUICK, SMOKE, writesOf, type Mode, type ScenarioName } from './harness/plan.js'
import { Progress } from './harness/progress.js'
import { publishResults, type SavedRun } from './harness/publish.js'
import { upgradeRecord, type RunRecord } from './harness/results.js'
import { runOne, sleep, type IdleMeasurement, type RunMeasurement } from './harness/run-one.js'
import { TARGET_NAMES, TARGETS, type TargetName } from './harness/targets.js'
import { LEGACY_WRITE_MODE, WRITE_MODES, type WriteMode } from './harness/write-mode.js'

const root = findRoot(dirname(fileURLToPath(import.meta.url)))

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    targets: { type: 'string' },
    scenarios: { type: 'string' },
    writes: { type: 'string' },
    reps: { type: 'string' },
    warmup: { type: 'string' },
    window: { type: 'string' },
    profile: { type: 'boolean', default: false },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean' },
    extras: { type: 'boolean' },
    'no-extras': { type: 'boolean' },
    report: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?|^ \* ?/gm, '') + '\n')
  process.exit(0)
}

const base = args.smoke ? SMOKE : args.quick ? QUICK : FULL
const mode: Mode = {
  ...base,
  repetitions: args.reps ? positive('reps', args.reps) : base.repetitions,
  warmupMs: args.warmup ? positive('warmup', args.warmup) : base.warmupMs,
  windowMs: args.window ? positive('window', args.window) : base.windowMs,
  writes: args.writes ? (list('writes', args.writes, WRITE_MODES) as WriteMode[]) : base.writes,
}
const targets = list('targets', args.targets, TARGET_NAMES) as TargetName[]
const scenarios = list('scenarios', args.scenarios, ['rpc', 'fanout', 'idle']) as ScenarioName[]
const writeDoc = args['no-write'] ? false : (args.write ?? mode.name === 'full')
const runExtras = args['no-extras'] ? false : (args.extras ?? mode.name === 'full')

const resultsDir = args.out ? resolve(args.out) : join(root, 'bench', 'results')
mkdirSync(resultsDir, { recursive: true })
if (args.report) {
  // Re-render the tables, chart and BENCHMARKS.md block of a saved run; nothing is measured.
  let run = JSON.parse(readFileSync(resolve(args.report), 'utf8')) as SavedRun
  // Runs saved before write modes existed batched every write.
  run = { ...run, mode: { ...run.mode, writes: run.mode.writes ?? [LEGACY_WRITE_MODE] }, records: run.records.map(upgradeRecord) }
  if (args.extras) {
    // Measure only the extra suites now and store them in the saved run, in place of its own.
    run = { ...run, extras: await runExtraSuites(run.mode.name !== 'full') }
    writeFileSync(resolve(args.report), JSON.stringify(run, null, 2) + '\n')
  }
  await finish(run, args['no-write'] ? false : (args.write ?? run.mode.name === 'full'), relative(root, resolve(args.report)))
  process.exit(0)
}
const logFile = join(resultsDir, `${mode.name}.log`)
writeFileSync(logFile, '')
const profileDir = args.profile ? join(resultsDir, 'profiles') : undefined
if (profileDir) mkdirSync(profileDir, { recursive: true })
const env = {
  serverCpu: canPin ? 1 : undefined,
  generatorCpu: canPin ? 0 : undefined,
  logFile,
  // Spreading connections over several loopback source addresses keeps ephemeral ports from running out.
  sourceAddresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'],
  profileDir,
}

const started = new Date()
// Read now: the commit and tree state the run measures, not what they are when it ends.
const machineAtStart = describeMachine(loadavg())
const plan = planRuns(mode, targets, scenarios)
const progress = new Progress(plan.reduce((sum, run) => sum + estimateSeconds(run.spec), 0))
process.stderr.write(
  `gangway bench (${mode.name}): ${plan.length} runs, ${mode.repetitions} repetition(s), ~${Math.ceil(progress.estimateSeconds / 60)} min; ` +
    `server on core ${env.serverCpu ?? '(unpinned)'}, generator on core ${env.generatorCpu ?? '(unpinned)'}; log: ${relative(root, logFile)}\n`,
)
if (!canPin) process.stderr.write('warning: taskset is not available; processes are not pinned and figures are less comparable\n')

const records: RunRecord[] = []
await sleep(2000) // let the build that `npm run bench` just ran wind down before the first measurement
for (let i = 0; i < plan.length; i++) {
  const { spec, repetition, config } = plan[i]!
  const writes = writesOf(spec)
  const what =
    `${config}${writes ? ` ${writes}` : ''} · ${TARGETS[spec.target].label}${spec.generators > 1 ? ` (${spec.generators} generators)` : ''} · ` +
    `run ${repetition}/${mode.repetitions}`
  progress.begin(i + 1, plan.length, what, estimateSeconds(spec))
  const record = { config, scenario: spec.scenario, target: spec.target, generators: spec.generators, repetition, ...(writes ? { writes } : {}) }
  try {
    const measurement = await runOne(spec, env)
    records.push({ ...record, measurement })
    progress.end(summary(measurement))
  } catch (err) {
    records.push({ ...record, error: (err as Error).message })
    progress.end(`failed: ${(err as Error).message}`)
  }
  await sleep(pauseAfterMs(spec))
}
killAll()

const extras = runExtras ? await runExtraSuites(mode.name !== 'full') : []

const finished = new Date()
const saved: SavedRun = {
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  mode,
  machine: { ...machineAtStart, loadAfter: loadAvg(loadavg()) },
  cores: { server: env.serverCpu, generator: env.generatorCpu },
  started: started.toISOString(),
  finished: finished.toISOString(),
  records,
  extras,
}
writeFileSync(join(resultsDir, `${mode.name}.json`), JSON.stringify(saved, null, 2) + '\n')
await finish(saved, writeDoc)
process.exit(records.some((r) => r.error) ? 1 : 0)

async function runExtraSuites(quick: boolean): Promise<ExtraSuite[]> {
  const extras: ExtraSuite[] = []
  for (const script of availableExtras(join(root, 'package.json'))) {
    process.stderr.write(`running npm run ${script}${quick ? ' -- --quick' : ''}\n`)
    extras.push(await runExtra(script, quick, quick ? 120_000 : 20 * 60_000))
  }
  return extras
}

async function finish(run: SavedRun, toDoc: boolean, source?: string): Promise<void> {
  // A re-rendered run gets a chart named after its results file, so the current chart is left alone.
  const chartName = `${source ? basename(source, '.json') : run.mode.name}-ratios.svg`
  const generated = await publishResults(run, { root, resultsDir, writeDoc: toDoc, chartName, ...(source ? { source } : {}) })
  process.stdout.write(`\n${generated}\n`)
  const written = source ? relative(root, join(resultsDir, chartName)) : `${relative(root, join(resultsDir, `${run.mode.name}.json`))} and ${chartName} beside it`
  process.stderr.write(toDoc ? `wrote BENCHMARKS.md, ${written}\n` : `wrote ${written} (BENCHMARKS.md untouched; --write to update it)\n`)
}


function summary(m: RunMeasurement | IdleMeasurement): string {
  if ('rssPerConnectionKiB' in m) return `${m.rssPerConnectionKiB.toFixed(1)} KiB/conn (second half), ${m.rssFromEmptyPerConnectionKiB.toFixed(1)} from empty`
  return `${Math.round(m.opsPerSec).toLocaleString('en-US')}/s, ${m.serverMicrosPerOp.toFixed(2)} µs/op, p99 ${m.p99Ms.toFixed(1)} ms`
}

function loadAvg(values: number[]): string {
  return values.map((v) => v.toFixed(2)).join(' ')
}

function describeMachine(loadBefore: number[]) {
  const cpu = cpus()
  const version = (name: string) => {
    try {
      return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
    } catch {
      return '?'
    }
  }
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
    const changed = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench', 'demo', ':!bench/results'], { cwd: root, encoding: 'utf8' })
    if (changed.trim()) commit += ' (with uncommitted changes)'
  } catch {
    // not a git checkout
  }
  return {
    cpu: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`,
    node: process.version,
    kernel: release(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    short: `${cpu.length} cores, Node ${process.version}`,
    loadBefore: loadAvg(loadBefore),
    loadAfter: loadAvg(loadavg()),
    commit,
    versions: ['ws', 'socket.io', '@nestjs/core', '@nestjs/websockets', 'zod'].map((name) => `${name} ${version(name)}`).join(', '),
  }
}

function positive(name: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive integer\n`)
    process.exit(2)
  }
  return n
}

function list(name: string, value: string | undefined, allowed: readonly string[]): string[] {
  if (value === undefined) return [...allowed]
  const items = value.split(',').map((s) => s.trim()).filter(Boolean)
  const unknown = items.filter((item) => !allowed.includes(item))
  if (unknown.length > 0 || items.length === 0) {
    process.stderr.write(`--${name}: unknown ${unknown.join(', ') || '(empty)'}; choose from ${allowed.join(', ')}\n`)
    process.exit(2)
  }
  return items
}
