/**
 * `npm run bench:history`: what message history and recovery (issue 12) cost, in one run.
 *
 *  1. fanout with history on vs off — the cluster benchmark's three gangway nodes on Redis
 *     and on NATS, 300 subscribers in one room: deliveries/s and the nodes' CPU µs per
 *     delivery (process.cpuUsage in each node). Goal: history costs ≤ 15 % more per delivery.
 *  2. a recovery storm — 10,000 clients reconnect at once, each 100 messages behind, to one
 *     gateway node: time until all have recovered, the node's peak RSS, and the p99 of a few
 *     live clients' request/reply meanwhile against their p99 before the storm; gangway on
 *     Redis (and NATS, and in memory) beside Socket.IO's connection state recovery on
 *     @socket.io/redis-streams-adapter. Goals: all recovered ≥ 2× sooner than Socket.IO;
 *     live p99 ≤ 2× its idle value.
 *
 *   npm run bench:history                 full size, 3 repetitions, interleaved (~8–10 min)
 *   npm run bench:history -- --quick      1,000 clients, 1 repetition, short phases (~1 min)
 *   npm run bench:history -- --smoke      a handful of clients: does everything work?
 *
 * Options: --parts fanout,storm  --storms gangway-redis,gangway-nats,gangway-memory,socketio (default: all)
 *          --fanouts redis-off,redis-on,nats-off,nats-on  --reps N  --clients N  --rooms N  --behind N
 *          --max-replays N (gangway's history.maxConcurrentReplays in the storm; default: gangway's default, 256)
 *          --out DIR (results JSON and log; default bench/results)
 *          --profile (the gateway nodes run with --cpu-prof into <out>/profiles; see bench/profile-summary.ts)
 *          --combine a.json,b.json (nothing is measured: the tables over every repetition of these saved runs)
 * env: REDIS_URL (redis://127.0.0.1:6379), NATS_URL (nats://127.0.0.1:4222), BENCH_MAX_MINUTES (15: no new
 * run starts after that, so `npm run bench`'s 20-minute limit for an extra suite still gets the tables). Every run uses
 * keys, streams and subjects under a prefix of its own and removes them afterwards.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, release } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { canPin, killAll } from '../harness/children.js'
import { findRoot } from '../harness/repo-root.js'
import { removeBrokerState } from './broker-cleanup.js'
import { runFanout, type FanoutResult, type FanoutSpec } from './fanout.js'
import { fanoutTable, stormTable, type Repeated } from './history-report.js'
import { runStorm, type StormResult, type StormSpec } from './storm.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    parts: { type: 'string', default: 'fanout,storm' },
    storms: { type: 'string' },
    fanouts: { type: 'string' },
    reps: { type: 'string' },
    clients: { type: 'string' },
    rooms: { type: 'string' },
    behind: { type: 'string' },
    'max-replays': { type: 'string' },
    out: { type: 'string' },
    profile: { type: 'boolean', default: false },
    combine: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?|^ \* ?/gm, '') + '\n')
  process.exit(0)
}

if (args.combine) {
  process.stdout.write(`${combine(args.combine.split(',').map((f) => resolve(f.trim())))}\n`)
  process.exit(0)
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
const mode = args.smoke ? 'smoke' : args.quick ? 'quick' : 'full'
const size = {
  full: { reps: 3, clients: 10_000, rooms: 1, behind: 100, generators: 2, live: 8, idleMs: 5000, timeoutMs: 120_000, subscribers: 300, seconds: 5 },
  quick: { reps: 1, clients: 1000, rooms: 1, behind: 100, generators: 2, live: 4, idleMs: 1000, timeoutMs: 60_000, subscribers: 300, seconds: 2 },
  smoke: { reps: 1, clients: 20, rooms: 2, behind: 5, generators: 2, live: 2, idleMs: 300, timeoutMs: 15_000, subscribers: 6, seconds: 0.5 },
}[mode]
const count = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Math.max(1, Math.floor(Number(value)) || fallback))
const reps = count(args.reps, size.reps)

const STORMS: Record<string, Omit<StormSpec, 'clients' | 'rooms' | 'behind' | 'generators' | 'liveClients' | 'idleMs' | 'timeoutMs'>> = {
  'gangway-redis': { name: 'gangway, history on Redis Streams', framework: 'gangway', url: REDIS_URL },
  'gangway-nats': { name: 'gangway, history on NATS JetStream', framework: 'gangway', url: NATS_URL },
  'gangway-memory': { name: 'gangway, history in memory (no cluster)', framework: 'gangway', url: 'memory' },
  socketio: { name: 'Socket.IO, connection state recovery on @socket.io/redis-streams-adapter', framework: 'socketio', url: REDIS_URL },
}
const FANOUTS: Record<string, FanoutSpec> = {
  'redis-off': { name: 'Redis, history off', url: REDIS_URL, history: false },
  'redis-on': { name: 'Redis, history on', url: REDIS_URL, history: true },
  'nats-off': { name: 'NATS, history off', url: NATS_URL, history: false },
  'nats-on': { name: 'NATS, history on', url: NATS_URL, history: true },
}
const pick = <T>(all: Record<string, T>, value: string | undefined, fallback: string[]) => {
  const names = value ? value.split(',').map((s) => s.trim()).filter(Boolean) : fallback
  const unknown = names.filter((n) => !(n in all))
  if (unknown.length > 0) {
    process.stderr.write(`unknown: ${unknown.join(', ')}; choose from ${Object.keys(all).join(', ')}\n`)
    process.exit(2)
  }
  return names
}
const parts = args.parts!.split(',')
const storms = parts.includes('storm') ? pick(STORMS, args.storms, ['gangway-redis', 'gangway-nats', 'gangway-memory', 'socketio']) : []
const fanouts = parts.includes('fanout') ? pick(FANOUTS, args.fanouts, Object.keys(FANOUTS)) : []

const root = findRoot(dirname(fileURLToPath(import.meta.url)))
const outDir = args.out ? resolve(args.out) : join(root, 'bench', 'results')
mkdirSync(outDir, { recursive: true })
const stamp = new Date().toISOString().replace(/[:.]/g, '-')
// Quick and smoke results are never committed (bench/results/quick* is ignored).
const base = mode === 'full' ? `history-${stamp}` : `${mode === 'quick' ? 'quick' : 'smoke'}-history-${stamp}`
const logFile = join(outDir, `${base}.log`)
writeFileSync(logFile, '')
const lastCore = availableParallelism() - 1
const pinned = canPin && lastCore >= 1
const started = new Date()
const deadline = Date.now() + Number(process.env.BENCH_MAX_MINUTES ?? 15) * 60_000

process.stderr.write(
  `history bench (${mode}): ${reps} repetition(s); fanout: ${fanouts.join(', ') || '—'}; storm: ${storms.join(', ') || '—'} ` +
    `(${count(args.clients, size.clients)} clients); log: ${logFile}\n`,
)

const fanoutRuns: Repeated<FanoutResult> = new Map(fanouts.map((n) => [FANOUTS[n]!.name, []]))
const stormRuns: Repeated<StormResult> = new Map(storms.map((n) => [STORMS[n]!.name, []]))
const errors: string[] = []
let runId = 0
for (let rep = 1; rep <= reps; rep++) {
  // Repetitions are the outer loop: outside load hits every configuration alike.
  for (const name of fanouts) {
    if (Date.now() > deadline) break
    const spec = FANOUTS[name]!
    await measure(`fanout ${spec.name} run ${rep}/${reps}`, spec.url, fanoutRuns.get(spec.name)!, (prefix) =>
      runFanout(spec, {
        subscribers: size.subscribers,
        seconds: size.seconds,
        prefix,
        logFile,
        nodeCpu: pinned ? lastCore : undefined,
        loadCpu: pinned ? 0 : undefined,
        ...(args.profile ? { profileDir: join(outDir, 'profiles', `fanout-${name}`) } : {}),
      }),
    )
  }
  for (const name of storms) {
    if (Date.now() > deadline) break
    const spec: StormSpec = {
      ...STORMS[name]!,
      clients: count(args.clients, size.clients),
      rooms: count(args.rooms, size.rooms),
      behind: count(args.behind, size.behind),
      generators: size.generators,
      liveClients: size.live,
      idleMs: size.idleMs,
      timeoutMs: size.timeoutMs,
      ...(args['max-replays'] ? { maxReplays: count(args['max-replays'], 256) } : {}),
    }
    await measure(`storm ${spec.name} run ${rep}/${reps}`, spec.url, stormRuns.get(spec.name)!, (prefix) =>
      runStorm(spec, {
        logFile,
        prefix,
        nodeCpu: pinned ? lastCore : undefined,
        generatorCpu: pinned ? 0 : undefined,
        sourceAddresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'],
        ...(args.profile ? { profileDir: join(outDir, 'profiles') } : {}),
      }),
    )
  }
}
killAll()

const stormSpec = { clients: count(args.clients, size.clients), rooms: count(args.rooms, size.rooms), behind: count(args.behind, size.behind), generators: size.generators, live: size.live }
const output = [
  `Run: \`npm run bench:history${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (${mode}) on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
    `${Math.round((Date.now() - started.getTime()) / 60_000)} min; ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, Linux ${release()}; ` +
    `load average after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}; commit ${commit()}; ${pinned ? `nodes pinned to core ${lastCore}, load generators to core 0` : 'not pinned'}.`,
  fanouts.length ? fanoutTable(fanoutRuns, size) : '',
  storms.length ? stormTable(stormRuns, stormSpec) : '',
  errors.length ? `Failed runs (not counted):\n${errors.map((e) => `- ${e}`).join('\n')}` : '',
]
  .filter(Boolean)
  .join('\n\n')
process.stdout.write(`${output}\n`)
const file = join(outDir, `${base}.json`)
writeFileSync(
  file,
  JSON.stringify({ mode, reps, size, stormSpec, started: started.toISOString(), commit: commit(), fanout: Object.fromEntries(fanoutRuns), storm: Object.fromEntries(stormRuns), errors }, null, 2) + '\n',
)
process.stderr.write(`results written to ${file}\n`)
process.exit(errors.length > 0 ? 1 : 0)

/** The tables over every repetition of several saved runs of the same size (medians over all of them). */
function combine(files: string[]): string {
  const fanout: Repeated<FanoutResult> = new Map()
  const storm: Repeated<StormResult> = new Map()
  const saved = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as SavedHistoryRun)
  for (const run of saved) {
    for (const [name, results] of Object.entries(run.fanout)) fanout.set(name, [...(fanout.get(name) ?? []), ...results])
    for (const [name, results] of Object.entries(run.storm)) storm.set(name, [...(storm.get(name) ?? []), ...results])
  }
  const first = saved[0]!
  return [
    `Combined: ${saved.map((run) => `${run.started.slice(0, 16).replace('T', ' ')} UTC (commit ${run.commit})`).join(', ')}; medians over every repetition of these runs.`,
    fanout.size ? fanoutTable(fanout, first.size) : '',
    storm.size ? stormTable(storm, first.stormSpec) : '',
  ]
    .filter(Boolean)
    .join('\n\n')
}

interface SavedHistoryRun {
  started: string
  commit: string
  size: { subscribers: number; seconds: number }
  stormSpec: { clients: number; rooms: number; behind: number; generators: number; live: number }
  fanout: Record<string, FanoutResult[]>
  storm: Record<string, StormResult[]>
}

async function measure<T>(what: string, url: string, into: T[], run: (prefix: string) => Promise<T>): Promise<void> {
  const prefix = `hbench_${process.pid}_${++runId}`
  const t0 = Date.now()
  process.stderr.write(`  ${what} …`)
  try {
    const result = await run(prefix)
    into.push(result)
    process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(0)} s: ${JSON.stringify(result)}\n`)
  } catch (err) {
    errors.push(`${what}: ${(err as Error).message}`)
    process.stderr.write(` failed: ${(err as Error).message}\n`)
  } finally {
    await removeBrokerState(url, prefix).catch((err: unknown) => process.stderr.write(`  cleanup of ${prefix} failed: ${(err as Error).message}\n`))
  }
}

function commit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' })
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src', 'bench', ':!bench/results'], { cwd: root, encoding: 'utf8' })
  return `${head.stdout.trim() || 'unknown'}${dirty.stdout.trim() ? ' (with uncommitted changes)' : ''}`
}

