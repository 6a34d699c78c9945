import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import type { ClusterStats } from '../../src/index.js'
import type { Cleanup } from './cluster-brokers.js'
import { TestSocket, type Frame } from './test-socket.js'

const script = fileURLToPath(new URL('./cluster-node-process.js', import.meta.url))

/** A client of one node, with its connection id. */
export interface Member {
  readonly id: string
  readonly socket: TestSocket
  /** The `msg` frames received so far. */
  messages(tag?: string): Array<{ tag: string; seq: number; at?: number }>
}

/** What a node's /control `status` request returns. */
export interface NodeStatus {
  state: string
  states: string[]
  /** The node adapter's `stats()`, as it sent them. */
  stats: ClusterStats
  nodes: string[]
  seen: Record<string, number>
}

/** One gateway node running in a child process. */
export interface ClusterNode {
  readonly nodeId: string
  readonly port: number
  readonly process: ChildProcess
  connect(user?: string): Promise<Member>
  /** A request on the node's /control gateway; resolves with the reply's data (throws on an error frame). */
  control<T = unknown>(event: string, data?: unknown, timeoutMs?: number): Promise<T>
  status(): Promise<NodeStatus>
  stop(): Promise<void>
}

/** What else the node processes run with. */
export interface ClusterNodeOptions {
  /** The gateway's `history` option (JSON: patterns, not functions), given to every node. @default none */
  history?: unknown
}

/**
 * Starts `count` nodes sharing the broker at `url`; they are stopped when the test ends
 * (`cleanup`: `t.after.bind(t)` in a test, node:test's `after` in a suite).
 */
export async function startClusterNodes(t: TestContext | Cleanup, url: string, count: number, options: ClusterNodeOptions = {}): Promise<ClusterNode[]> {
  // A channel prefix of its own: other tests' nodes on the same broker are another cluster.
  const prefix = `test-${process.pid}-${Date.now().toString(36)}`
  const env: Record<string, string> = options.history === undefined ? {} : { HISTORY: JSON.stringify(options.history) }
  const nodes = await Promise.all(Array.from({ length: count }, (_, i) => startNode(`n${i}_${process.pid}`, url, prefix, env)))
  const cleanup: Cleanup = typeof t === 'function' ? t : t.after.bind(t)
  cleanup(async () => void (await Promise.all(nodes.map((node) => node.stop()))))
  // Every node knows every other one before the test starts (queries wait for known nodes).
  const deadline = Date.now() + 10_000
  for (const node of nodes) {
    while ((await node.status()).nodes.length < count - 1) {
      if (Date.now() > deadline) throw new Error(`node ${node.nodeId} did not see the others`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return nodes
}

async function startNode(nodeId: string, url: string, prefix: string, env: Record<string, string>): Promise<ClusterNode> {
  const child = fork(script, [], { env: { ...process.env, ...env, CLUSTER_URL: url, NODE_ID: nodeId, CLUSTER_PREFIX: prefix }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${nodeId} did not start`)), 15_000)
    child.once('message', (message: { port: number }) => {
      clearTimeout(timer)
      resolve(message.port)
    })
    child.once('exit', (code) => reject(new Error(`node ${nodeId} exited with ${code}`)))
  })
  const sockets: TestSocket[] = []
  const open = async (path: string) => {
    const socket = await TestSocket.connect(`ws://127.0.0.1:${port}${path}`)
    sockets.push(socket)
    return socket
  }
  const controlSocket = await open('/control')
  const control = async <T>(event: string, data?: unknown, timeoutMs = 10_000): Promise<T> => {
    const frame = await controlSocket.request(event, data, timeoutMs)
    if (frame.error) throw new Error(`${event} on ${nodeId}: ${frame.error.code} ${frame.error.message}`)
    return frame.data as T
  }
  let stopped: Promise<void> | undefined
  return {
    nodeId,
    port,
    process: child,
    control,
    status: () => control<NodeStatus>('status'),
    async connect(user) {
      const socket = await open(user === undefined ? '/ws' : `/ws?user=${encodeURIComponent(user)}`)
      const { id } = (await socket.request('whoami')).data as { id: string }
      return {
        id,
        socket,
        messages: (tag) =>
          socket.frames
            .filter((f: Frame) => f.event === 'msg' && (tag === undefined || f.data?.tag === tag))
            .map((f: Frame) => f.data as { tag: string; seq: number; at?: number }),
      }
    },
    stop() {
      stopped ??= (async () => {
        for (const socket of sockets) socket.ws.terminate()
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        child.send({ cmd: 'stop' })
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      })()
      return stopped
    },
  }
}
