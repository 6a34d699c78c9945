import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import type { TransportSpec } from './bridge-transports.js'

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

/** A child process started by a test, killed when the test ends. */
export class Child {
  readonly messages: any[] = []
  readonly exited: Promise<number | null>
  #waiters: Array<{ match: (m: any) => boolean; resolve: (m: any) => void }> = []

  constructor(readonly process: ChildProcess) {
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)))
    process.on('message', (message) => {
      this.messages.push(message)
      const index = this.#waiters.findIndex((w) => w.match(message))
      if (index !== -1) this.#waiters.splice(index, 1)[0]!.resolve(message)
    })
  }

  /** The next IPC message matching `match` (already received or coming), within `timeoutMs`. */
  next<T = any>(match: (m: any) => boolean, timeoutMs = 15_000): Promise<T> {
    const found = this.messages.find(match)
    if (found !== undefined) {
      this.messages.splice(this.messages.indexOf(found), 1)
      return Promise.resolve(found)
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child ${this.process.pid}: no matching message within ${timeoutMs} ms`)), timeoutMs)
      this.#waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer)
          this.messages.splice(this.messages.indexOf(m), 1)
          resolve(m)
        },
      })
    })
  }

  async stats<T = any>(): Promise<T> {
    this.process.send({ cmd: 'stats' })
    return (await this.next((m) => m.stats !== undefined)).stats
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal)
  }
}

function start(t: TestContext, file: string, spec: TransportSpec, env: Record<string, string> = {}): Child {
  const child = new Child(
    fork(here(file), [], {
      env: { ...process.env, GANGWAY_TEST_TRANSPORT: JSON.stringify(spec), ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  )
  t.after(async () => {
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
    await child.exited
    clearTimeout(timer)
  })
  return child
}

/** Starts a gateway node process (by default `bridge-gateway-node.js`); resolves with its port and node id once it listens. */
export async function startGatewayNode(
  t: TestContext,
  spec: TransportSpec,
  script = './bridge-gateway-node.js',
  env: Record<string, string> = {},
): Promise<{ child: Child; port: number; nodeId: string }> {
  const child = start(t, script, spec, env)
  const { port, nodeId } = await child.next((m) => m.port !== undefined, 20_000)
  return { child, port, nodeId }
}

/** Starts a worker process; resolves once it consumes. */
export async function startWorker(t: TestContext, spec: TransportSpec, name: string): Promise<Child> {
  const child = start(t, './bridge-worker.js', spec, { GANGWAY_TEST_WORKER: name })
  await child.next((m) => m.ready === name, 20_000)
  return child
}
