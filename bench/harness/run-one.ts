import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { nextMessage, spawnChild, stopChild } from './children.js'
import { coreBusy, readCoreTimes } from './cpu-stat.js'
import { Histogram } from './histogram.js'
import type { GeneratorCommand, GeneratorConfig, GeneratorReport, GeneratorSnapshot, ScenarioParams, ServerCommand, ServerReport, ServerUsage } from './messages.js'
import { TARGETS, type TargetName } from './targets.js'

/** One measured configuration of one target. */
export type RunSpec = ScenarioParams & SpecBase

interface SpecBase {
  readonly target: TargetName
  /** Generator processes sharing the connections (rpc only). */
  readonly generators: number
  readonly warmupMs: number
  readonly windowMs: number
  /** Idle: how long to wait after each half of the connections before reading memory. */
  readonly settleMs: number
}

/** Where processes run and log. */
export interface RunEnvironment {
  readonly serverCpu: number | undefined
  readonly generatorCpu: number | undefined
  readonly logFile: string
  readonly sourceAddresses: readonly string[]
  /** Directory for `--cpu-prof` output of the server, when profiling. */
  readonly profileDir: string | undefined
}

/** What one run measured. */
export interface RunMeasurement {
  /** Requests (rpc) or deliveries (fanout) per second. */
  readonly opsPerSec: number
  /** Server CPU time per completed operation, µs. */
  readonly serverMicrosPerOp: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** Server and generator CPU time as a fraction of one core over the window. */
  readonly serverCpu: number
  readonly generatorCpu: number
  /** Fraction of time the server's and the generator's cores were busy with anything. */
  readonly serverCoreBusy: number
  readonly generatorCoreBusy: number
  readonly failures: number
  readonly closed: number
  /** Generator frames per socket write over the window: 1.00 when every frame left in a write of its own. */
  readonly framesPerWrite: number
}

/**
 * Idle memory per connection. The connections open in two halves and the
 * server is read (after a forced GC) when empty, after the first half and
 * after the second. The per-connection figures are the second half's cost
 * alone: what one more connection costs once the server has warmed up (code
 * compiled, heap and allocator arenas grown on first use). The from-empty
 * figures divide everything since start-up, that one-time cost included, by
 * all connections.
 */
export interface IdleMeasurement {
  readonly connections: number
  /** Server RSS per connection of the second half. */
  readonly rssPerConnectionKiB: number
  /** Live JS objects per connection of the second half. */
  readonly heapPerConnectionKiB: number
  /** Heap V8 keeps committed per connection of the second half (live objects plus free space it has not returned). */
  readonly heapCommittedPerConnectionKiB: number
  /** The same three from the freshly started server to all connections, divided by all connections. */
  readonly rssFromEmptyPerConnectionKiB: number
  readonly heapFromEmptyPerConnectionKiB: number
  readonly heapCommittedFromEmptyPerConnectionKiB: number
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

/** Starts the target, drives it, and stops every process it started, whatever happens. */
export async function runOne(spec: RunSpec, env: RunEnvironment): Promise<RunMeasurement | IdleMeasurement> {
  const target = TARGETS[spec.target]
  const nodeArgs = ['--expose-gc']
  if (env.profileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${env.profileDir}`, `--cpu-prof-name=${spec.target}-${spec.scenario}-${Date.now()}.cpuprofile`)
  const server = spawnChild({ script: here('./server-host.js'), args: [spec.target], nodeArgs, cpu: env.serverCpu, logFile: env.logFile })
  const generators: ChildProcess[] = []
  try {
    const { port } = await nextMessage(server, (m) => ((m as ServerReport).type === 'ready' ? (m as { port: number }) : undefined), 60_000, `${spec.target} server start`)
    const usage = serverUsage(server)
    const baseline = spec.scenario === 'idle' ? await usage(true) : undefined

    const total = spec.scenario === 'fanout' ? spec.subscribers : spec.connections
    const shares = split(total, spec.scenario === 'rpc' ? spec.generators : 1)
    const setupMs = 30_000 + total * 10
    for (let g = 0; g < shares.length; g++) {
      const generator = spawnChild({ script: here('./generator.js'), cpu: env.generatorCpu, logFile: env.logFile })
      generators.push(generator)
      const common = {
        port,
        path: target.path,
        protocol: target.protocol,
        sourceAddresses: rotate(env.sourceAddresses, g),
        connectConcurrency: 200,
        connectTimeoutMs: 20_000,
      }
      const config: GeneratorConfig =
        spec.scenario === 'rpc'
          ? { ...common, scenario: 'rpc', connections: shares[g]!, inflight: spec.inflight, writes: spec.writes, ...(spec.messageBytes ? { messageBytes: spec.messageBytes } : {}) }
          : spec.scenario === 'fanout'
            ? { ...common, scenario: 'fanout', subscribers: spec.subscribers, publishWindow: spec.publishWindow, writes: spec.writes }
            : { ...common, scenario: 'idle', connections: firstHalf(spec.connections) }
      command(generator, { type: 'config', config })
    }
    await Promise.all(
      generators.map((generator) =>
        nextMessage(generator, (m) => ((m as GeneratorReport).type === 'ready' ? true : undefined), setupMs, `${spec.target} generator setup`),
      ),
    )

    if (spec.scenario === 'idle') {
      const generator = generators[0]!
      await sleep(spec.settleMs)
      const half = await usage(true)
      const rest = spec.connections - firstHalf(spec.connections)
      const opened = nextMessage(generator, (m) => ((m as GeneratorReport).type === 'ready' ? true : undefined), setupMs, `${spec.target} generator second half`)
      command(generator, { type: 'open', connections: rest })
      await opened
      await sleep(spec.settleMs)
      const after = await usage(true)
      return idleMeasurement(spec.connections, baseline!, half, after)
    }

    for (const generator of generators) command(generator, { type: 'run' })
    await sleep(spec.warmupMs)
    const coresBefore = readCoreTimes()
    for (const generator of generators) command(generator, { type: 'reset' })
    const start = await usage(false)
    await sleep(spec.windowMs)
    const snapshots = generators.map((generator) =>
      nextMessage(generator, (m) => ((m as GeneratorReport).type === 'snapshot' ? (m as { snapshot: GeneratorSnapshot }).snapshot : undefined), 30_000, `${spec.target} snapshot`),
    )
    for (const generator of generators) command(generator, { type: 'snapshot' })
    const end = await usage(false)
    const coresAfter = readCoreTimes()
    const results = await Promise.all(snapshots)

    const histogram = new Histogram()
    let operations = 0
    let failures = 0
    let closed = 0
    let generatorCpuMicros = 0
    let generatorWallMs = 0
    let frames = 0
    let framesJoined = 0
    for (const snapshot of results) {
      histogram.add(snapshot.latency)
      operations += snapshot.operations
      failures += snapshot.failures
      closed += snapshot.closed
      generatorCpuMicros += snapshot.cpuMicros
      generatorWallMs = Math.max(generatorWallMs, snapshot.wallMs)
      frames += snapshot.frames
      framesJoined += snapshot.framesJoined
    }
    // Rates over each side's own clock, so a few ms of IPC skew between the windows cancels out.
    const opsPerSec = operations / (generatorWallMs / 1000)
    const serverWallMs = end.at - start.at
    const serverCpuPerSec = (end.cpuMicros - start.cpuMicros) / (serverWallMs / 1000)
    return {
      opsPerSec,
      serverMicrosPerOp: serverCpuPerSec / opsPerSec,
      p50Ms: histogram.quantile(0.5) / 1000,
      p99Ms: histogram.quantile(0.99) / 1000,
      serverCpu: serverCpuPerSec / 1e6,
      generatorCpu: generatorCpuMicros / 1000 / generatorWallMs,
      serverCoreBusy: env.serverCpu === undefined ? Number.NaN : coreBusy(coresBefore, coresAfter, env.serverCpu),
      generatorCoreBusy: env.generatorCpu === undefined ? Number.NaN : coreBusy(coresBefore, coresAfter, env.generatorCpu),
      failures,
      closed,
      framesPerWrite: frames / (frames - framesJoined),
    }
  } finally {
    for (const generator of generators) command(generator, { type: 'stop' })
    // The server first: tearing down 5,000 room members one by one is not what we measure.
    if (server.connected) server.send({ type: 'exit' } satisfies ServerCommand)
    else server.kill('SIGKILL')
    await Promise.all([stopChild(server, env.profileDir ? 10_000 : 3_000), ...generators.map((generator) => stopChild(generator, 3_000))])
  }
}

/** Idle runs open this many connections before the middle reading, the rest after it. */
function firstHalf(connections: number): number {
  return Math.floor(connections / 2)
}

function idleMeasurement(connections: number, empty: ServerUsage, half: ServerUsage, after: ServerUsage): IdleMeasurement {
  const rest = connections - firstHalf(connections)
  const perConnection = (from: ServerUsage, key: 'rss' | 'heapUsed' | 'heapTotal', count: number) => (after[key] - from[key]) / 1024 / count
  return {
    connections,
    rssPerConnectionKiB: perConnection(half, 'rss', rest),
    heapPerConnectionKiB: perConnection(half, 'heapUsed', rest),
    heapCommittedPerConnectionKiB: perConnection(half, 'heapTotal', rest),
    rssFromEmptyPerConnectionKiB: perConnection(empty, 'rss', connections),
    heapFromEmptyPerConnectionKiB: perConnection(empty, 'heapUsed', connections),
    heapCommittedFromEmptyPerConnectionKiB: perConnection(empty, 'heapTotal', connections),
  }
}

function command(generator: ChildProcess, message: GeneratorCommand): void {
  if (generator.connected) generator.send(message)
}

function serverUsage(server: ChildProcess): (gc: boolean) => Promise<ServerUsage> {
  let seq = 0
  return (gc) => {
    const id = ++seq
    const answer = nextMessage(server, (m) => ((m as ServerReport).type === 'usage' && (m as ServerUsage).seq === id ? (m as ServerUsage) : undefined), 30_000, 'server usage')
    server.send({ type: 'usage', seq: id, gc } satisfies ServerCommand)
    return answer
  }
}

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0))
}

function rotate<T>(list: readonly T[], by: number): T[] {
  return list.map((_, i) => list[(i + by) % list.length]!)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
