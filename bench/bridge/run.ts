// `npm run bench:bridge`: client → gateway → broker → worker → gateway → client round trips,
// gangway vs NestJS (ClientProxy.send) on RabbitMQ, NATS and Redis, gateway and worker as separate
// processes; and the gangway gateway in front of the unmodified NestJS microservice (`wire: 'nest'`)
// vs the NestJS gateway in front of the same service. Each configuration runs BENCH_REPEATS times
// (default 3); medians are reported.
// Options (env): BENCH_BROKERS=amqp,nats,redis BENCH_FRAMEWORKS=gangway,gangway-nest,nest BENCH_CONCURRENCY=1,16,256
// BENCH_REPEATS=3 BENCH_SECONDS=4 BENCH_WARMUP_SECONDS=1 BENCH_MAX_SECONDS=1200.
// --quick (as `npm run bench -- --quick --extras` passes it): 1 run of 1.5 s per configuration, for
// checking a change; explicit BENCH_* values still win.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { Broker } from './brokers.js'
import { runLoad, type Framework, type LoadResult } from './load.js'

const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean)
const brokers = list('BENCH_BROKERS', 'amqp,nats,redis') as Broker[]
const frameworks = list('BENCH_FRAMEWORKS', 'gangway,gangway-nest,nest') as Framework[]
/** The processes of each framework: `gangway-nest` is gangway's gateway (in NestJS's wire) in front of the NestJS worker. */
const processesOf = (framework: Framework) =>
  framework === 'gangway-nest' ? { worker: ['nest-worker'], gateway: ['gangway-gateway', 'nest'] } : { worker: [`${framework}-worker`], gateway: [`${framework}-gateway`] }
const concurrencies = list('BENCH_CONCURRENCY', '1,16,256').map(Number)
const quick = process.argv.includes('--quick')
const repeats = Number(process.env.BENCH_REPEATS ?? (quick ? 1 : 3))
const durationMs = Number(process.env.BENCH_SECONDS ?? (quick ? 1.5 : 4)) * 1000
const warmupMs = Number(process.env.BENCH_WARMUP_SECONDS ?? (quick ? 0.5 : 1)) * 1000
const deadline = Date.now() + Number(process.env.BENCH_MAX_SECONDS ?? 1200) * 1000
const runId = `bench${process.pid}`

interface Row {
  broker: Broker
  framework: Framework
  concurrency: number
  runs: Array<LoadResult & { cpuUs: number | undefined; gatewayCpuUs: number | undefined }>
  median: { rps: number; p50: number; p99: number; errors: number; cpuUs: number | undefined; gatewayCpuUs: number | undefined }
}

/** CPU time (user + system) a process has used, in µs; undefined where /proc is missing. */
function cpuTime(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100 // clock ticks (USER_HZ = 100)
  } catch {
    return undefined
  }
}

const script = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url))

function start([name, ...args]: string[], broker: Broker): Promise<{ child: ChildProcess; port: number | undefined }> {
  const child = spawn(process.execPath, [script(name!), broker, ...args], { env: { ...process.env, BENCH_RUN_ID: runId }, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${name} ${broker} did not start: ${out}`)), 30_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /READY(?: (\d+))?/.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve({ child, port: match[1] ? Number(match[1]) : undefined })
      }
    })
    child.once('exit', (code) => reject(new Error(`${name} ${broker} exited with ${code}: ${out}`)))
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}

const medianOf = (values: Array<number | undefined>) => (values.includes(undefined) ? undefined : median(values as number[]))
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const rows: Row[] = []
console.error(`bridge benchmark: ${brokers.join(', ')} × ${frameworks.join(', ')} × concurrency ${concurrencies.join(', ')} × ${repeats} runs of ${durationMs / 1000} s`)
for (const broker of brokers) {
  for (const framework of frameworks) {
    if (Date.now() > deadline) break
    let worker: ChildProcess | undefined
    let gateway: ChildProcess | undefined
    try {
      worker = (await start(processesOf(framework).worker, broker)).child
      const started = await start(processesOf(framework).gateway, broker)
      gateway = started.child
      const url = `ws://127.0.0.1:${started.port}/ws`
      for (const concurrency of concurrencies) {
        const runs: Row['runs'] = []
        for (let r = 0; r < repeats && Date.now() < deadline; r++) {
          const before = [cpuTime(gateway.pid), cpuTime(worker.pid)]
          const result = await runLoad({ url, framework, concurrency, warmupMs, durationMs })
          const after = [cpuTime(gateway.pid), cpuTime(worker.pid)]
          // Gateway + worker CPU per round trip: steadier than req/s on a shared machine.
          const measured = !before.includes(undefined) && !after.includes(undefined)
          const perRequest = (us: number) => us / (result.requests + result.warmupRequests)
          const cpuUs = measured ? perRequest(after[0]! - before[0]! + after[1]! - before[1]!) : undefined
          // The gateway's share alone: the worker is the same process for gangway-nest and nest.
          const gatewayCpuUs = measured ? perRequest(after[0]! - before[0]!) : undefined
          runs.push({ ...result, cpuUs, gatewayCpuUs })
          console.error(`  ${broker} ${framework} c=${concurrency} run ${r + 1}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, errors ${result.errors}, gateway+worker CPU ${cpuUs?.toFixed(1) ?? '?'} µs/request`)
        }
        if (runs.length === 0) continue
        rows.push({
          broker,
          framework,
          concurrency,
          runs,
          median: { rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), errors: runs.reduce((n, r) => n + r.errors, 0), cpuUs: medianOf(runs.map((r) => r.cpuUs)), gatewayCpuUs: medianOf(runs.map((r) => r.gatewayCpuUs)) },
        })
      }
    } catch (err) {
      console.error(`  ${broker} ${framework}: failed: ${(err as Error).message}`)
    } finally {
      if (gateway) await stop(gateway)
      if (worker) await stop(worker)
    }
  }
}

const fmt = (row: Row | undefined) => (row ? `${row.median.rps.toFixed(0)} (${row.median.p50.toFixed(2)} / ${row.median.p99.toFixed(2)})` : '–')
const cpu = (row: Row | undefined, which: 'cpuUs' | 'gatewayCpuUs' = 'cpuUs') => (row?.median[which] === undefined ? '–' : row.median[which]!.toFixed(0))
const find = (broker: Broker, framework: Framework, concurrency: number) => rows.find((r) => r.broker === broker && r.framework === framework && r.concurrency === concurrency)
const ratio = (a: Row | undefined, b: Row | undefined) => (a && b ? `${(a.median.rps / b.median.rps).toFixed(2)}×` : '–')
const lines = [
  `Bridge round trips, median of ${repeats} × ${durationMs / 1000} s: req/s (p50 / p99 ms), and gateway + worker CPU µs per request. ${cpus().length} cores, Node ${process.version}.`,
]
/** One comparison table: framework `a` against `b`, per broker and concurrency; `gateway` adds the gateways' own CPU. */
function compare(a: Framework, b: Framework, title: string, columns: [string, string], gateway = false): void {
  if (!frameworks.includes(a) || !frameworks.includes(b)) return
  const extra = gateway ? ' gateway CPU µs/req gangway | gateway CPU µs/req NestJS |' : ''
  lines.push('', title, '')
  lines.push(`| broker | concurrency | ${columns[0]} | ${columns[1]} | gangway ÷ NestJS | CPU µs/req gangway | CPU µs/req NestJS |${extra}`, `|---|---:|---:|---:|---:|---:|---:|${gateway ? '---:|---:|' : ''}`)
  for (const broker of brokers) {
    for (const concurrency of concurrencies) {
      const x = find(broker, a, concurrency)
      const y = find(broker, b, concurrency)
      const gatewayCpu = gateway ? ` ${cpu(x, 'gatewayCpuUs')} | ${cpu(y, 'gatewayCpuUs')} |` : ''
      lines.push(`| ${broker} | ${concurrency} | ${fmt(x)} | ${fmt(y)} | ${ratio(x, y)} | ${cpu(x)} | ${cpu(y)} |${gatewayCpu}`)
    }
  }
}
compare('gangway', 'nest', 'gangway gateway → gangway service vs NestJS gateway → NestJS service:', ['gangway', 'NestJS'])
compare('gangway-nest', 'nest', "The same unmodified NestJS service behind a gangway gateway (`wire: 'nest'`) vs behind the NestJS gateway:", ['gangway → NestJS service', 'NestJS → NestJS service'], true)
const table = lines.join('\n')
console.log(table)
// The Redis streams gangway left behind (RabbitMQ queues expire by themselves; NATS keeps nothing).
if (brokers.includes('redis')) {
  const { Redis } = await import('ioredis')
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  const keys = await redis.keys(`gangway-${runId}:*`).catch(() => [])
  if (keys.length > 0) await redis.del(...keys).catch(() => {})
  redis.disconnect()
}

const results = new URL('../../../bench/results/', import.meta.url)
mkdirSync(results, { recursive: true })
const file = new URL(`bridge-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, results)
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: cpus().length, repeats, durationMs, warmupMs, rows, table }, null, 2) + '\n')
console.error(`results: ${fileURLToPath(file)}`)
