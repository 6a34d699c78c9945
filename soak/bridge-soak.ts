// `npm run soak:bridge` — L2 (request/reply via NATS) and L3 (via RabbitMQ): a gateway process and a
// worker process on the shared broker, SOAK_BRIDGE_SOCKETS sockets (200) each sending
// SOAK_BRIDGE_RATE requests a second (8: 1,600 req/s) with a 200-byte payload for
// SOAK_BRIDGE_SECONDS (20), open loop. Every request goes in a ledger: each must come back exactly
// once with its own data — 0 lost, 0 duplicates, 0 error frames — and the gateway's pending map must
// be empty afterwards. Prints one LEDGER line per broker with p50 / p99 / max RTT and the gateway's
// RSS, writes soak/results/<time>-bridge.json and exits 1 if any row is not clean.
// Options (env): SOAK_BRIDGE_BROKERS=nats,amqp SOAK_BRIDGE_SOCKETS SOAK_BRIDGE_RATE SOAK_BRIDGE_SECONDS.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { RequestLedger } from '../test/reliability/ledger.js'
import { PacedClient, percentile } from '../test/reliability/paced-client.js'

const brokers = (process.env.SOAK_BRIDGE_BROKERS ?? 'nats,amqp').split(',').filter(Boolean)
const sockets = Number(process.env.SOAK_BRIDGE_SOCKETS ?? 200)
const rate = Number(process.env.SOAK_BRIDGE_RATE ?? 8)
const seconds = Number(process.env.SOAK_BRIDGE_SECONDS ?? 20)
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function start(file: string, args: string[]): ChildProcess {
  const child = fork(here(file), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  process.once('exit', () => child.kill('SIGKILL'))
  return child
}

async function ask<T>(child: ChildProcess, cmd: string, key: string): Promise<T> {
  const answer = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${key} from child ${child.pid}`)), 10_000)
    const onMessage = (message: Record<string, unknown>) => {
      if (!(key in message)) return
      clearTimeout(timer)
      child.off('message', onMessage)
      resolve(message[key] as T)
    }
    child.on('message', onMessage)
  })
  child.send({ cmd })
  return answer
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = once(child, 'exit')
  child.send({ cmd: 'stop' })
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

async function run(broker: string) {
  const prefix = `soak-bridge-${process.pid}-${broker}`
  const worker = start('./bridge-soak-worker.js', [broker, prefix])
  await ask(worker, 'noop', 'ready')
  const gateway = start('./bridge-soak-gateway.js', [broker, prefix])
  const [{ port }] = (await once(gateway, 'message')) as [{ port: number }]
  const clients = Array.from({ length: sockets }, (_, i) => new PacedClient(`s${i}`, 'ask', 1000 / rate, 200))
  for (let i = 0; i < clients.length; i += 50) await Promise.all(clients.slice(i, i + 50).map((c) => c.connect(`ws://127.0.0.1:${port}/ws`)))
  const rssBefore = (await ask<{ rss: number }>(gateway, 'stats', 'stats')).rss
  const started = performance.now()
  for (const client of clients) client.start()
  await sleep(seconds * 1000)
  await Promise.all(clients.map((c) => c.drain(15_000)))
  const elapsed = (performance.now() - started) / 1000
  const gatewayStats = await ask<Record<string, unknown> & { rss: number; pending: number; requests: number }>(gateway, 'stats', 'stats')
  const workerStats = await ask<Record<string, number>>(worker, 'stats', 'stats')
  const ledger = RequestLedger.total(clients.map((c) => c.ledger))
  const rtts = clients.flatMap((c) => c.rtts)
  const errors: Record<string, number> = {}
  for (const c of clients) for (const [code, n] of c.errors) errors[code] = (errors[code] ?? 0) + n
  for (const client of clients) client.close()
  await Promise.all([stop(gateway), stop(worker)])
  const row = {
    case: broker === 'nats' ? 'L2 request/reply via NATS' : 'L3 request/reply via RabbitMQ',
    broker,
    sockets,
    requestsPerSecond: Math.round(ledger.accepted / elapsed),
    seconds: Math.round(elapsed * 10) / 10,
    ...ledger,
    errors,
    p50Ms: round(percentile(rtts, 50)),
    p99Ms: round(percentile(rtts, 99)),
    p999Ms: round(percentile(rtts, 99.9)),
    maxMs: round(percentile(rtts, 100)),
    gatewayForwarded: gatewayStats.requests,
    gatewayPendingAfter: gatewayStats.pending,
    gatewayStats,
    workerStats,
    gatewayRssMB: { before: round(rssBefore / 2 ** 20), after: round(gatewayStats.rss / 2 ** 20) },
  }
  const clean =
    ledger.lost === 0 && ledger.duplicates === 0 && ledger.unexpected === 0 && ledger.mismatched === 0 && ledger.reportedFailed === 0 && ledger.delivered === ledger.accepted && gatewayStats.pending === 0
  return { ...row, result: clean ? 'PASS' : 'FAIL' }
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

const rows = []
for (const broker of brokers) {
  const row = await run(broker)
  console.log(`LEDGER ${JSON.stringify(row)}`)
  rows.push(row)
}
mkdirSync(here('../../soak/results'), { recursive: true })
const file = here(`../../soak/results/${new Date().toISOString().replace(/[:.]/g, '-')}-bridge.json`)
writeFileSync(file, JSON.stringify({ sockets, rate, seconds, rows }, null, 2) + '\n')
console.log(`wrote ${file}`)
process.exit(rows.every((row) => row.result === 'PASS') ? 0 : 1)
