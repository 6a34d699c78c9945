// `npm run soak` — the soak and load suite (not part of `npm test`). The gateway runs in its own
// process, load comes from worker processes on several loopback source addresses, and the run
// stops by itself. Settings (environment):
//   SOAK_MINUTES (10; 1 with --quick)       SOAK_CONNECTIONS (10000; 2000 with --quick)
//   SOAK_RPS requests/s (2000)              SOAK_PUBLISH publishes/s (50)   SOAK_CHURN joins+leaves/s (100)
//   SOAK_ROOMS (200)  SOAK_WORKERS (4)  SOAK_ADDRESSES (20)  SOAK_SAMPLE_SECONDS (10; 5 with --quick)
//   SOAK_FAULTS fault cases to inject mid-run, comma-separated ids from soak-faults.ts (F9)
// Writes soak/results/<time>-<mode>.json and .md; exits 1 if any ledger row is not zero.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { failuresOf, markdown, percentile, rssDrift, type Sample, type SoakResult } from './soak-report.js'
import type { RequestCounts, StreamCounts } from './connection-ledger.js'
import type { WorkerConfig } from './soak-worker.js'
import { SOAK_FAULTS, type FaultContext, type FaultOutcome } from './soak-faults.js'

const quick = process.argv.includes('--quick') || process.env.SOAK_QUICK === '1'
const env = (name: string, fallback: number) => (process.env[name] === undefined ? fallback : Number(process.env[name]))
const config = {
  minutes: env('SOAK_MINUTES', quick ? 1 : 10),
  connections: env('SOAK_CONNECTIONS', quick ? 2000 : 10_000),
  requestsPerSecond: env('SOAK_RPS', 2000),
  publishesPerSecond: env('SOAK_PUBLISH', 50),
  churnPerSecond: env('SOAK_CHURN', 100),
  rooms: env('SOAK_ROOMS', 200),
  workers: env('SOAK_WORKERS', 4),
  addresses: env('SOAK_ADDRESSES', 20),
  sampleSeconds: env('SOAK_SAMPLE_SECONDS', quick ? 5 : 10),
  payloadBytes: 100,
  faults: (process.env.SOAK_FAULTS ?? 'F9').split(',').filter(Boolean),
}
for (const id of config.faults) {
  if (!(id in SOAK_FAULTS)) {
    console.error(`[soak] unknown fault case ${id}; known: ${Object.keys(SOAK_FAULTS).join(', ')}`)
    process.exit(2)
  }
}
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
const resultsDir = fileURLToPath(new URL('../../soak/results/', import.meta.url))
const log = (line: string) => process.stdout.write(`[soak] ${line}\n`)

function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
  return Number(line?.split(/\s+/)[3] ?? Infinity)
}

const needed = config.connections + 256
if (openFileLimit() < needed) {
  console.error(`[soak] the open-file limit is ${openFileLimit()}; ${config.connections} connections need ${needed} in the server process. Run \`ulimit -n ${needed}\` first (or lower SOAK_CONNECTIONS).`)
  process.exit(2)
}

/** Sends a message to a child and resolves with its next message of `type`. */
function ask<T>(child: ChildProcess, message: object, type: string, timeoutMs = 60_000): Promise<T> {
  const reply = nextMessage<T>(child, type, timeoutMs)
  child.send(message)
  return reply
}

function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} from pid ${child.pid} within ${timeoutMs} ms`)), timeoutMs)
    const onMessage = (reply: { type: string }) => {
      if (reply.type !== type) return
      clearTimeout(timer)
      child.off('message', onMessage)
      resolve(reply as T)
    }
    child.on('message', onMessage)
  })
}

interface ServerSample {
  rss: number
  heapUsed: number
  connections: number
  memberships: number
  eventLoop: { p50: number; p99: number; max: number }
  counts: { requests: number; joins: number; leaves: number; publishes: number; deliveriesOwed: number }
}
interface WorkerSample {
  latencies: number[]
  tickLatencies: number[]
  window: { requests: number; answers: number; publishes: number; ticks: number; joins: number; leaves: number }
  open: number
}
interface WorkerFinal {
  drained: boolean
  unexpectedCloses: number
  requests: RequestCounts
  streams: StreamCounts
}

const children: ChildProcess[] = []
const killAll = () => children.forEach((child) => child.exitCode === null && child.kill('SIGKILL'))
process.on('exit', killAll)
process.on('SIGINT', () => process.exit(130))

const startedAt = new Date()
log(`mode=${quick ? 'quick' : 'full'} ${JSON.stringify(config)}`)
const server = fork(here('./soak-server.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
children.push(server)
const { port } = await nextMessage<{ port: number }>(server, 'listening', 30_000)

const perWorker = Math.ceil(config.connections / config.workers)
const addressesPerWorker = Math.max(1, Math.floor(config.addresses / config.workers))
const workers = Array.from({ length: config.workers }, (_, w) => {
  const workerConfig: WorkerConfig = {
    url: `ws://127.0.0.1:${port}/soak`,
    connections: Math.min(perWorker, config.connections - w * perWorker),
    addresses: Array.from({ length: addressesPerWorker }, (_, a) => `127.0.1.${w * addressesPerWorker + a + 1}`),
    rooms: config.rooms,
    requestsPerSecond: config.requestsPerSecond / config.workers,
    publishesPerSecond: config.publishesPerSecond / config.workers,
    churnPerSecond: config.churnPerSecond / config.workers,
    payloadBytes: config.payloadBytes,
  }
  const child = fork(here('./soak-worker.js'), [JSON.stringify(workerConfig)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.push(child)
  return child
})
const rampStart = performance.now()
await Promise.all(workers.map((w) => nextMessage(w, 'ready', 300_000)))
const rampSeconds = (performance.now() - rampStart) / 1000
log(`${config.connections} connections open and in their rooms after ${rampSeconds.toFixed(1)} s`)

const faultContext: FaultContext = {
  url: `ws://127.0.0.1:${port}/soak`,
  baseConnections: config.connections,
  serverConnections: async () => (await ask<ServerSample>(server, { type: 'sample', keepWindow: true }, 'sample')).connections,
  track: (child) => children.push(child),
}
const faults = config.faults.map((id) => SOAK_FAULTS[id]!())
for (const fault of faults) await fault.prepare(faultContext)
const faultOutcomes: FaultOutcome[] = []

await ask<ServerSample>(server, { type: 'sample' }, 'sample') // resets the loop-delay window
for (const w of workers) w.send({ type: 'start' })
const loadStart = performance.now()
const durationMs = config.minutes * 60_000
for (const fault of faults) {
  setTimeout(() => {
    log(`injecting ${fault.id}: ${fault.name}`)
    fault.inject(faultContext).then(
      (outcome) => {
        faultOutcomes.push(outcome)
        log(`${fault.id}: ${JSON.stringify(outcome.detail)}${outcome.failures.length ? ' FAILED ' + outcome.failures.join('; ') : ''}`)
      },
      (err: unknown) => faultOutcomes.push({ id: fault.id, name: fault.name, detail: {}, failures: [`${fault.id} threw: ${String(err)}`] }),
    )
  }, fault.at * durationMs).unref()
}
const samples: Sample[] = []
const allRtt: number[] = []
const allTick: number[] = []
while (performance.now() - loadStart < durationMs) {
  const windowStart = performance.now()
  await new Promise((resolve) => setTimeout(resolve, Math.min(config.sampleSeconds * 1000, durationMs - (performance.now() - loadStart))))
  const [srv, ...ws] = await Promise.all([ask<ServerSample>(server, { type: 'sample' }, 'sample'), ...workers.map((w) => ask<WorkerSample>(w, { type: 'sample' }, 'sample'))])
  const seconds = (performance.now() - windowStart) / 1000
  const rtt = ws.flatMap((w) => w.latencies).sort((a, b) => a - b)
  const ticks = ws.flatMap((w) => w.tickLatencies).sort((a, b) => a - b)
  for (const value of rtt) allRtt.push(value)
  for (const value of ticks) allTick.push(value)
  const sum = (key: keyof WorkerSample['window']) => ws.reduce((total, w) => total + w.window[key], 0)
  const sent = sum('requests') + sum('publishes') + sum('joins') + sum('leaves')
  const sample: Sample = {
    t: Math.round((performance.now() - loadStart) / 1000),
    connections: srv.connections,
    requestsPerSecond: sum('requests') / seconds,
    publishesPerSecond: sum('publishes') / seconds,
    ticksPerSecond: sum('ticks') / seconds,
    inPerSecond: sent / seconds,
    outPerSecond: (sum('answers') + sum('ticks')) / seconds,
    rtt: { p50: percentile(rtt, 50), p99: percentile(rtt, 99), max: rtt[rtt.length - 1] ?? 0 },
    tickLatencyP99: percentile(ticks, 99),
    rssMB: srv.rss / 2 ** 20,
    heapMB: srv.heapUsed / 2 ** 20,
    eventLoop: srv.eventLoop,
  }
  samples.push(sample)
  log(
    `t=${sample.t}s conns=${sample.connections} req/s=${sample.requestsPerSecond.toFixed(0)} ticks/s=${sample.ticksPerSecond.toFixed(0)} ` +
      `rtt p99=${sample.rtt.p99.toFixed(2)}ms max=${sample.rtt.max.toFixed(1)}ms rss=${sample.rssMB.toFixed(1)}MB heap=${sample.heapMB.toFixed(1)}MB loop p99=${sample.eventLoop.p99.toFixed(1)}ms`,
  )
}
const durationSeconds = (performance.now() - loadStart) / 1000

log('stopping the load; draining and leaving every room')
const finals = await Promise.all(workers.map((w) => ask<WorkerFinal>(w, { type: 'stop' }, 'final', 120_000)))
const serverAtEnd = await ask<ServerSample>(server, { type: 'sample' }, 'sample')
await Promise.all(workers.map((w) => ask(w, { type: 'close' }, 'closed', 60_000)))
let afterClose = await ask<ServerSample>(server, { type: 'sample' }, 'sample')
for (let i = 0; i < 100 && afterClose.connections > 0; i++) {
  await new Promise((resolve) => setTimeout(resolve, 100))
  afterClose = await ask<ServerSample>(server, { type: 'sample' }, 'sample')
}

const requests = { accepted: 0, delivered: 0, reportedFailed: 0, duplicates: 0, unexpected: 0, mismatched: 0 }
const streams = { owed: 0, received: 0, gaps: 0, outOfOrder: 0, strays: 0 }
for (const final of finals) {
  for (const key of Object.keys(requests) as Array<keyof RequestCounts>) requests[key] += final.requests[key]
  for (const key of Object.keys(streams) as Array<keyof StreamCounts>) streams[key] += final.streams[key]
}
allRtt.sort((a, b) => a - b)
allTick.sort((a, b) => a - b)
const totalIn = samples.reduce((t, s) => t + s.inPerSecond, 0) / Math.max(1, samples.length)
const totalOut = samples.reduce((t, s) => t + s.outPerSecond, 0) / Math.max(1, samples.length)
const partial: Omit<SoakResult, 'failures' | 'faults'> = {
  mode: quick ? 'quick' : Object.keys(process.env).some((name) => name.startsWith('SOAK_') && name !== 'SOAK_FAULTS') ? 'custom' : 'full',
  startedAt: startedAt.toISOString(),
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load generators share the machine with the server (and with other engineers' work)`,
  config,
  rampSeconds,
  durationSeconds,
  samples,
  summary: {
    connections: config.connections,
    messagesPerSecond: { in: totalIn, out: totalOut, total: totalIn + totalOut },
    rttMs: {
      p50: percentile(allRtt, 50),
      p99: percentile(allRtt, 99),
      p999: percentile(allRtt, 99.9),
      max: allRtt[allRtt.length - 1] ?? 0,
      worstWindowP99: Math.max(0, ...samples.map((s) => s.rtt.p99)),
    },
    tickLatencyP99Ms: percentile(allTick, 99),
    rss: rssDrift(samples),
    eventLoopMs: { worstWindowP99: Math.max(0, ...samples.map((s) => s.eventLoop.p99)), max: Math.max(0, ...samples.map((s) => s.eventLoop.max)) },
    requests: { ...requests, lost: requests.accepted - requests.delivered - requests.reportedFailed - requests.mismatched },
    broadcasts: { ...streams, owedByServer: serverAtEnd.counts.deliveriesOwed },
    unexpectedCloses: finals.reduce((t, f) => t + f.unexpectedCloses, 0),
    afterClose: { connections: afterClose.connections, memberships: afterClose.memberships },
  },
}
const result: SoakResult = { ...partial, faults: faultOutcomes, failures: failuresOf(partial) }
for (const fault of faults) if (!faultOutcomes.some((o) => o.id === fault.id)) result.failures.push(`${fault.id} did not finish`)
for (const outcome of faultOutcomes) result.failures.push(...outcome.failures)
if (finals.some((f) => !f.drained)) result.failures.push('a worker could not drain its pending requests within 30 s')

mkdirSync(resultsDir, { recursive: true })
const stem = `${resultsDir}${startedAt.toISOString().replace(/[:.]/g, '-')}-${result.mode}`
writeFileSync(`${stem}.json`, JSON.stringify(result, null, 2))
writeFileSync(`${stem}.md`, markdown(result))
log(`results: ${stem}.json and .md`)
log(result.failures.length === 0 ? 'PASS: every ledger row is zero' : `FAIL:\n  ${result.failures.join('\n  ')}`)

server.send({ type: 'stop' })
await Promise.race([once(server, 'exit'), new Promise((resolve) => setTimeout(resolve, 5000))])
killAll()
process.exit(result.failures.length === 0 ? 0 : 1)
