// Fanout with history on vs off: the cluster benchmark's gangway nodes and load generator
// (bench/cluster), three nodes on one broker, N subscribers in one room, one publisher,
// with history turned on for every room or not. The load generator announces its
// throughput window; each node's CPU time (process.cpuUsage) is read at both edges.
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { LoadConfig, LoadResult } from '../cluster/load.js'
import { nextMessage, spawnChild, stopChild, tell } from '../harness/children.js'

export interface FanoutSpec {
  readonly name: string
  readonly url: string
  readonly history: boolean
}

export interface FanoutEnv {
  readonly subscribers: number
  readonly seconds: number
  readonly prefix: string
  readonly logFile: string
  readonly nodeCpu: number | undefined
  readonly loadCpu: number | undefined
  /** Where the nodes write CPU profiles (node --cpu-prof), if anywhere. */
  readonly profileDir?: string
}

export interface FanoutResult {
  readonly deliveriesPerSec: number
  /** The three nodes' CPU time over the throughput window, per delivery. */
  readonly nodeMicrosPerDelivery: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly fixedRateP99Ms: number
  readonly lost: number
}

const NODES = 3
const cluster = (name: string) => fileURLToPath(new URL(`../cluster/${name}.js`, import.meta.url))

export async function runFanout(spec: FanoutSpec, env: FanoutEnv): Promise<FanoutResult> {
  const children: ChildProcess[] = []
  try {
    const nodes = Array.from({ length: NODES }, (_, i) => {
      const child = spawnChild({
        script: cluster('gangway-node'),
        ...(env.profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${env.profileDir}`] } : {}),
        cpu: env.nodeCpu,
        logFile: env.logFile,
        env: { CLUSTER_URL: spec.url, CHANNEL_PREFIX: env.prefix, NODE_ID: `${env.prefix}_n${i}`, HISTORY: spec.history ? '1' : '0' },
      })
      children.push(child)
      return child
    })
    const ports = await Promise.all(nodes.map((node, i) => nextMessage(node, (m) => (m as { port?: number }).port, 30_000, `node ${i}`)))
    const config: LoadConfig = { framework: 'gangway', ports, subscribers: env.subscribers, rate: 30, window: 16, seconds: env.seconds, room: 'bench' }
    const load = spawnChild({ script: cluster('load'), cpu: env.loadCpu, logFile: env.logFile, env: { LOAD_CONFIG: JSON.stringify(config), LOAD_MARKS: '1' } })
    children.push(load)
    const cpu = () => Promise.all(nodes.map((node) => ask(node)))
    const bound = (2 * env.seconds + 60) * 1000
    // Read the nodes' CPU when the load generator says its window opens and closes.
    const marked = (phase: string) => nextMessage(load, (m) => ((m as { mark?: string }).mark === phase ? true : undefined), bound, `load ${phase}`)
    const result = nextMessage(load, (m) => ((m as LoadResult).throughput ? (m as LoadResult) : undefined), bound, 'load result')
    result.catch(() => {})
    await marked('throughput-start')
    const before = await cpu()
    await marked('throughput-end')
    const after = await cpu()
    const { throughput, fixedRate } = await result
    const nodeMicros = after.reduce((sum, a, i) => sum + a - before[i]!, 0)
    return {
      deliveriesPerSec: throughput.deliveriesPerSec,
      nodeMicrosPerDelivery: nodeMicros / throughput.delivered,
      p50Ms: throughput.p50,
      p99Ms: throughput.p99,
      fixedRateP99Ms: fixedRate.p99,
      lost: throughput.lost + fixedRate.expected - fixedRate.delivered,
    }
  } finally {
    for (const child of children) tell(child, { cmd: 'stop' })
    await Promise.all(children.map((child) => stopChild(child, 3000)))
  }
}

function ask(node: ChildProcess): Promise<number> {
  const answer = nextMessage(node, (m) => (m as { cpuMicros?: number }).cpuMicros, 5000, 'node cpu')
  tell(node, { cmd: 'cpu' })
  return answer
}
