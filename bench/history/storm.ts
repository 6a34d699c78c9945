// One recovery storm: a gateway node, two load-generator processes holding the storm's
// clients and a probe with a few live clients. The clients connect, join and get one
// message; their transports drop; the server publishes `behind` messages to every room;
// then all clients reconnect at once and recover. Measured: the time until the last one
// has all its missed messages, per-client recovery times, the node's peak RSS and CPU,
// and the live clients' request/reply latency during the storm against before it.
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { nextMessage, spawnChild, stopChild, tell } from '../harness/children.js'
import { Histogram } from '../harness/histogram.js'
import type { StormClientsConfig, StormClientsReport } from './storm-clients.js'
import type { StormProbeConfig } from './storm-probe.js'
import type { StormFramework } from './storm-session.js'

export interface StormSpec {
  readonly name: string
  readonly framework: StormFramework
  /** redis://…, nats://… or `memory` (gangway only). */
  readonly url: string
  readonly clients: number
  readonly rooms: number
  readonly behind: number
  readonly generators: number
  readonly liveClients: number
  readonly idleMs: number
  readonly timeoutMs: number
  /** gangway's history.maxConcurrentReplays on the node; its default when undefined. */
  readonly maxReplays?: number
}

export interface StormEnv {
  readonly logFile: string
  readonly prefix: string
  readonly nodeCpu: number | undefined
  readonly generatorCpu: number | undefined
  readonly sourceAddresses: readonly string[]
  /** Where the node writes a CPU profile (node --cpu-prof), if anywhere. */
  readonly profileDir?: string
}

export interface StormResult {
  readonly connected: number
  readonly recovered: number
  readonly failed: number
  readonly reasons: Record<string, number>
  /** Connections the server counted as recovered during the storm (Socket.IO's `socket.recovered`); -1 where it cannot tell. */
  readonly serverRecovered: number
  /** From the reconnect command to the last client holding all its missed messages. */
  readonly allRecoveredMs: number
  readonly recoveryP50Ms: number
  readonly recoveryP99Ms: number
  readonly rssBeforeMiB: number
  readonly peakRssMiB: number
  /** The node's CPU time over the storm. */
  readonly nodeCpuMs: number
  /** The load generators' CPU time over the storm, added up (they share one core). */
  readonly generatorsCpuMs: number
  readonly liveIdleP50Ms: number
  readonly liveIdleP99Ms: number
  readonly liveStormP50Ms: number
  readonly liveStormP99Ms: number
  readonly liveFailed: number
  /** The node's event-loop delay p99 while the live clients were measured (monitorEventLoopDelay, sampled every 1 ms). */
  readonly loopIdleP99Ms: number
  readonly loopStormP99Ms: number
}

const script = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url))
const MiB = 2 ** 20

interface Loop {
  p99Ms: number
  maxMs: number
}

interface Stats {
  cpuMicros: number
  rss: number
  connections: number
  recovered: number
}

export async function runStorm(spec: StormSpec, env: StormEnv): Promise<StormResult> {
  const children: ChildProcess[] = []
  const ask = async <T>(child: ChildProcess, message: object, answer: string, ms: number, what: string): Promise<T> => {
    const answered = nextMessage(child, (m) => ((m as { type?: string }).type === answer ? (m as T) : undefined), ms, what)
    tell(child, message)
    return answered
  }
  const step = 30_000 + spec.clients * 5 // a bound for each step that grows with the number of clients
  try {
    const node = spawnChild({
      script: script(spec.framework === 'gangway' ? 'storm-gangway' : 'storm-socketio'),
      nodeArgs: ['--max-old-space-size=4096', ...(env.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${env.profileDir}`] : [])],
      cpu: env.nodeCpu,
      logFile: env.logFile,
      env: { CLUSTER_URL: spec.url, CHANNEL_PREFIX: env.prefix, ...(spec.maxReplays ? { MAX_REPLAYS: String(spec.maxReplays) } : {}) },
    })
    children.push(node)
    const { port } = await nextMessage(node, (m) => ((m as { type?: string }).type === 'listening' ? (m as { port: number }) : undefined), 30_000, `${spec.name} node`)
    const stats = () => ask<Stats>(node, { cmd: 'stats' }, 'stats', 10_000, 'node stats')

    const rooms = Array.from({ length: spec.rooms }, (_, i) => `storm:${i}`)
    const probe = spawnChild({
      script: script('storm-probe'),
      logFile: env.logFile,
      env: {
        STORM_PROBE: JSON.stringify({
          framework: spec.framework,
          port,
          liveClients: spec.liveClients,
          intervalMs: 10,
          rooms,
          localAddress: '127.0.0.1',
          timeoutMs: step,
        } satisfies StormProbeConfig),
      },
    })
    children.push(probe)
    const generators = Array.from({ length: spec.generators }, (_, g) => {
      const mine = Array.from({ length: spec.clients }, (_, i) => i).filter((i) => i % spec.generators === g)
      const config: StormClientsConfig = {
        framework: spec.framework,
        port,
        rooms: mine.map((i) => rooms[i % rooms.length]!),
        sourceAddresses: env.sourceAddresses.filter((_, a) => a % spec.generators === g),
        maxConnecting: 256,
        timeoutMs: spec.timeoutMs,
      }
      const child = spawnChild({ script: script('storm-clients'), cpu: env.generatorCpu, logFile: env.logFile, env: { STORM_CLIENTS: JSON.stringify(config) } })
      children.push(child)
      return child
    })
    const all = <T>(message: object, answer: string, ms: number, what: string) => Promise.all(generators.map((g, i) => ask<T>(g, message, answer, ms, `${what} (generator ${i + 1})`)))

    await ask(probe, { cmd: 'connect' }, 'ready', step, 'probe connect')
    const connected = await all<{ connected: number; failures: string[] }>({ cmd: 'connect' }, 'connected', step, 'connect')
    const connectedCount = connected.reduce((sum, c) => sum + c.connected, 0)
    if (connectedCount < spec.clients) throw new Error(`only ${connectedCount} of ${spec.clients} clients connected: ${connected.flatMap((c) => c.failures).join('; ')}`)

    // One message per room, so that every client has a position to recover from.
    await ask(probe, { cmd: 'watch-reset' }, 'watching', 10_000, 'watch')
    await ask(node, { cmd: 'publish', rooms, perRoom: 1 }, 'published', step, 'warm-up publish')
    await ask(probe, { cmd: 'await-delivered', perRoom: 1 }, 'delivered', step, 'warm-up delivery')
    const warm = await all<{ missing: number }>({ cmd: 'await-warm' }, 'warm', step, 'warm-up')
    const missing = warm.reduce((sum, w) => sum + w.missing, 0)
    if (missing > 0) throw new Error(`${missing} clients never got the warm-up message`)

    // The live clients' latency with every storm client connected and idle.
    await ask(node, { cmd: 'loop-start' }, 'loop-started', 10_000, 'loop delay')
    await ask(probe, { cmd: 'measure-start' }, 'measuring', 10_000, 'idle measure')
    await new Promise((resolve) => setTimeout(resolve, spec.idleMs))
    const idle = await ask<{ latencies: Array<[number, number]>; failed: number }>(probe, { cmd: 'measure-stop' }, 'measured', 10_000, 'idle measure')
    const idleLoop = await ask<Loop>(node, { cmd: 'loop-stop' }, 'loop', 10_000, 'loop delay')

    // Transport drop, and wait until the node has seen every connection go (its sessions are then stored).
    const base = (await stats()).connections - spec.clients
    await all({ cmd: 'drop' }, 'dropped', 10_000, 'drop')
    for (let polls = 0; (await stats()).connections > base; polls++) {
      if (polls > 600) throw new Error('the node still holds dropped connections after 30 s')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }

    // The messages the clients miss, delivered to the watcher (so stored) before anyone reconnects.
    await ask(probe, { cmd: 'watch-reset' }, 'watching', 10_000, 'watch')
    await ask(node, { cmd: 'publish', rooms, perRoom: spec.behind }, 'published', step, 'publish')
    await ask(probe, { cmd: 'await-delivered', perRoom: spec.behind }, 'delivered', step, 'delivery to the watcher')

    // The storm.
    const before = await stats()
    await ask(node, { cmd: 'rss-watch' }, 'rss-watching', 10_000, 'rss watch')
    await ask(node, { cmd: 'loop-start' }, 'loop-started', 10_000, 'loop delay')
    await ask(probe, { cmd: 'measure-start' }, 'measuring', 10_000, 'storm measure')
    const reports = await all<StormClientsReport>({ cmd: 'recover', expected: spec.behind }, 'recovered', spec.timeoutMs + step, 'recover')
    const live = await ask<{ latencies: Array<[number, number]>; failed: number }>(probe, { cmd: 'measure-stop' }, 'measured', step, 'storm measure')
    const stormLoop = await ask<Loop>(node, { cmd: 'loop-stop' }, 'loop', 10_000, 'loop delay')
    const { peak } = await ask<{ peak: number }>(node, { cmd: 'rss-peak' }, 'rss-peak', 10_000, 'rss peak')
    const after = await stats()

    const times = new Histogram()
    for (const r of reports) times.add(r.times)
    const idleLatency = new Histogram()
    idleLatency.add(idle.latencies)
    const stormLatency = new Histogram()
    stormLatency.add(live.latencies)
    const reasons: Record<string, number> = {}
    for (const r of reports) for (const [reason, n] of Object.entries(r.reasons)) reasons[reason] = (reasons[reason] ?? 0) + n
    const recovered = reports.reduce((sum, r) => sum + r.recovered, 0)
    return {
      connected: connectedCount,
      recovered,
      failed: reports.reduce((sum, r) => sum + r.failed, 0),
      reasons,
      serverRecovered: after.recovered < 0 ? -1 : after.recovered - before.recovered,
      allRecoveredMs: recovered === 0 ? NaN : Math.max(...reports.map((r) => r.lastRecoveredAt)) - Math.min(...reports.map((r) => r.startedAt)),
      recoveryP50Ms: times.quantile(0.5) / 1000,
      recoveryP99Ms: times.quantile(0.99) / 1000,
      rssBeforeMiB: before.rss / MiB,
      peakRssMiB: peak / MiB,
      nodeCpuMs: (after.cpuMicros - before.cpuMicros) / 1000,
      generatorsCpuMs: reports.reduce((sum, r) => sum + r.cpuMs, 0),
      liveIdleP50Ms: idleLatency.quantile(0.5) / 1000,
      liveIdleP99Ms: idleLatency.quantile(0.99) / 1000,
      liveStormP50Ms: stormLatency.quantile(0.5) / 1000,
      liveStormP99Ms: stormLatency.quantile(0.99) / 1000,
      liveFailed: idle.failed + live.failed,
      loopIdleP99Ms: idleLoop.p99Ms,
      loopStormP99Ms: stormLoop.p99Ms,
    }
  } finally {
    for (const child of children) tell(child, { cmd: 'stop' })
    await Promise.all(children.map((child) => stopChild(child, 3000)))
  }
}
