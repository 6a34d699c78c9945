// The cluster benchmark: three gateway nodes (child processes) on a broker, N
// subscribers spread over them in one room, one publisher. gangway on Redis and
// on NATS against Socket.IO with @socket.io/redis-adapter, in the same run,
// interleaved, each configuration repeated; medians are reported.
//
//   npm run bench:cluster
//   BENCH_SUBSCRIBERS=300 BENCH_RATE=30 BENCH_WINDOW=16 BENCH_SECONDS=5 BENCH_REPEATS=3 npm run bench:cluster
//
// On a machine with 2+ cores the nodes are pinned to one core and the load
// generator to another (BENCH_PIN=0 turns that off); the brokers float.
import { fork, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { LoadConfig, LoadResult } from './load.js'

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
// --quick (as `npm run bench -- --quick --extras` passes it): 1 run of 2 s per phase; explicit BENCH_* values still win.
const quick = process.argv.includes('--quick')
const SUBSCRIBERS = env('BENCH_SUBSCRIBERS', 300)
const RATE = env('BENCH_RATE', 30)
const WINDOW = env('BENCH_WINDOW', 16)
const SECONDS = env('BENCH_SECONDS', quick ? 2 : 5)
const REPEATS = Math.max(1, env('BENCH_REPEATS', quick ? 1 : 3))
const DEADLINE = Date.now() + env('BENCH_MAX_MINUTES', 15) * 60_000
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
const NODES = 3

interface Config {
  name: string
  framework: LoadConfig['framework']
  url: string
}

const configs: Config[] = [
  { name: 'gangway + Redis', framework: 'gangway', url: REDIS_URL },
  { name: 'gangway + NATS', framework: 'gangway', url: NATS_URL },
  { name: 'Socket.IO + @socket.io/redis-adapter', framework: 'socketio', url: REDIS_URL },
]

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
const cpus = availableParallelism()
const canPin = process.env.BENCH_PIN !== '0' && cpus >= 2 && spawnSync('taskset', ['-V']).status === 0
// Nodes share the last core, the load generator gets the first: the same split for every configuration.
const NODE_CPUS = String(cpus - 1)
const LOAD_CPUS = cpus > 2 ? `0-${cpus - 2}` : '0'

function start(file: string, cpuList: string, childEnv: Record<string, string>): ChildProcess {
  const child = fork(here(file), [], { env: { ...process.env, ...childEnv }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  if (canPin && child.pid) spawnSync('taskset', ['-a', '-p', '-c', cpuList, String(child.pid)], { stdio: 'ignore' })
  return child
}

function firstMessage<T>(child: ChildProcess, what: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out`)), timeoutMs)
    child.once('message', (message: T) => {
      clearTimeout(timer)
      resolve(message)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what}: process exited with ${code}`))
    })
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.send({ cmd: 'stop' })
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}

async function runOnce(config: Config, run: number): Promise<LoadResult> {
  const prefix = `bench-${process.pid}-${run}-${config.framework}-${config.url.split(':')[0]}`
  const nodeFile = config.framework === 'gangway' ? './gangway-node.js' : './socketio-node.js'
  const nodes = Array.from({ length: NODES }, (_, i) =>
    start(nodeFile, NODE_CPUS, { CLUSTER_URL: config.url, CHANNEL_PREFIX: prefix, NODE_ID: `b${run}n${i}` }),
  )
  try {
    const ports = await Promise.all(nodes.map((node, i) => firstMessage<{ port: number }>(node, `node ${i}`, 15_000).then((m) => m.port)))
    const loadConfig: LoadConfig = { framework: config.framework, ports, subscribers: SUBSCRIBERS, rate: RATE, window: WINDOW, seconds: SECONDS, room: 'bench' }
    const load = start('./load.js', LOAD_CPUS, { LOAD_CONFIG: JSON.stringify(loadConfig) })
    return await firstMessage<LoadResult>(load, `${config.name} load`, (2 * SECONDS + 30) * 1000)
  } finally {
    await Promise.all(nodes.map(stop))
  }
}

const median = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '—')

async function main(): Promise<void> {
  console.log(
    `cluster benchmark: ${NODES} nodes, ${SUBSCRIBERS} subscribers in one room, 1 publisher; fixed rate ${RATE} msg/s, then a window of ${WINDOW} in flight; ` +
      `${SECONDS} s per phase, ${REPEATS} runs each${canPin ? `; nodes on cpu ${NODE_CPUS}, load on cpu ${LOAD_CPUS}` : ''}`,
  )
  const results = new Map<string, LoadResult[]>(configs.map((c) => [c.name, []]))
  for (let run = 0; run < REPEATS; run++) {
    for (const config of configs) {
      if (Date.now() > DEADLINE) {
        console.log('time limit reached; reporting what ran')
        break
      }
      let result: LoadResult
      try {
        result = await runOnce(config, run)
      } catch (err) {
        console.log(`  run ${run + 1} ${config.name}: failed (${(err as Error).message}); not counted`)
        continue
      }
      results.get(config.name)!.push(result)
      console.log(
        `  run ${run + 1} ${config.name}: ${result.throughput.deliveriesPerSec} deliveries/s (p99 ${ms(result.throughput.p99)} ms), ` +
          `at ${RATE} msg/s p99 ${ms(result.fixedRate.p99)} ms, ${result.fixedRate.delivered}/${result.fixedRate.expected} delivered`,
      )
    }
  }

  const rows = configs.map((config) => {
    const runs = results.get(config.name)!
    return {
      name: config.name,
      runs: runs.length,
      deliveriesPerSec: median(runs.map((r) => r.throughput.deliveriesPerSec)),
      saturatedP50: median(runs.map((r) => r.throughput.p50)),
      saturatedP99: median(runs.map((r) => r.throughput.p99)),
      fixedP50: median(runs.map((r) => r.fixedRate.p50)),
      fixedP99: median(runs.map((r) => r.fixedRate.p99)),
      fixedDelivered: runs.reduce((sum, r) => sum + r.fixedRate.delivered, 0),
      fixedExpected: runs.reduce((sum, r) => sum + r.fixedRate.expected, 0),
      lost: runs.reduce((sum, r) => sum + r.throughput.lost, 0),
    }
  })
  const socketio = rows.find((r) => r.name.startsWith('Socket.IO'))!
  const table = [
    `| configuration | deliveries/s (median) | vs Socket.IO | p50 / p99 saturated (ms) | p50 / p99 at ${RATE} msg/s (ms) | delivered at fixed rate | runs |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.deliveriesPerSec)} | ${(r.deliveriesPerSec / socketio.deliveriesPerSec).toFixed(2)}× | ${ms(r.saturatedP50)} / ${ms(r.saturatedP99)} | ${ms(r.fixedP50)} / ${ms(r.fixedP99)} | ${r.fixedDelivered}/${r.fixedExpected} | ${r.runs} |`,
    ),
  ].join('\n')
  console.log('\n' + table + '\n')

  const dir = fileURLToPath(new URL('../../../bench/results/', import.meta.url))
  mkdirSync(dir, { recursive: true })
  const file = `${dir}cluster-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  const settings = { nodes: NODES, subscribers: SUBSCRIBERS, rate: RATE, window: WINDOW, seconds: SECONDS, repeats: REPEATS, pinned: canPin, cpus, node: process.version }
  writeFileSync(file, JSON.stringify({ settings, rows, runs: Object.fromEntries(results) }, null, 2) + '\n')
  console.log(`results written to ${file}`)
}

await main()
