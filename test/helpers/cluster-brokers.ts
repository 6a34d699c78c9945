import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'
import type { TestContext } from 'node:test'

/** Registers teardown: `t.after.bind(t)` in a test, or node:test's `after` in a suite. */
export type Cleanup = (fn: () => Promise<void>) => void

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

/** Whether something accepts TCP connections at the URL's host and port. */
export function reachable(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * Whether a shared broker can be used. In CI an unreachable broker fails the
 * test loudly; elsewhere the test is skipped with a hint.
 */
export async function requireBroker(t: TestContext, name: 'Redis' | 'NATS', url: string): Promise<boolean> {
  if (await reachable(url)) return true
  const hint = name === 'Redis' ? 'redis-server --port 6379 --save "" --appendonly no' : 'nats-server -a 127.0.0.1 -p 4222 -js'
  if (process.env.CI === 'true') throw new Error(`${name} is not reachable at ${url} (CI must run it)`)
  t.skip(`${name} is not reachable at ${url}; start it with: ${hint}`)
  return false
}


/** A broker process of a test's own, on a fixed port, that it may kill and restart. */
export interface PrivateBroker {
  readonly port: number
  readonly url: string
  /** nats-server's HTTP monitoring endpoint (`-m <port>`), when asked for: `${monitorUrl}/subsz`. */
  readonly monitorUrl?: string
  /** SIGKILL; resolves once the process exited. */
  kill(): Promise<void>
  /** Starts the broker again on the same port; resolves once it accepts connections. */
  restart(): Promise<void>
  /** SIGSTOP / SIGCONT: the process keeps its sockets but answers nothing. */
  freeze(): void
  thaw(): void
  /** Kills it for good (test teardown). */
  stop(): Promise<void>
}

/** Starts `redis-server` on a free port, without persistence. */
export function startPrivateRedis(cleanup: Cleanup): Promise<PrivateBroker> {
  return startPrivate(cleanup, 'redis', (port) => ['redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']])
}

/**
 * Starts `nats-server` on a free port; `monitor: true` also opens its HTTP monitoring port (`monitorUrl`);
 * `jetstream: true` enables JetStream with a store directory of its own that a restart keeps (file streams survive it).
 */
export async function startPrivateNats(cleanup: Cleanup, options: { monitor?: boolean; jetstream?: boolean } = {}): Promise<PrivateBroker> {
  // Debian installs it in /usr/sbin, which is not on every PATH.
  const binary = process.env.NATS_SERVER_BIN ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server')
  const monitorPort = options.monitor ? await freePort() : undefined
  const monitorArgs = monitorPort === undefined ? [] : ['-m', String(monitorPort)]
  const store = options.jetstream ? mkdtempSync(join(tmpdir(), 'gangway-nats-js-')) : undefined
  const jetstreamArgs = store === undefined ? [] : ['-js', '-sd', store]
  const broker = await startPrivate(cleanup, 'nats', (port) => [binary, ['-a', '127.0.0.1', '-p', String(port), ...monitorArgs, ...jetstreamArgs]])
  // Registered after the broker's own teardown, so the directory goes once the server is gone.
  if (store !== undefined) cleanup(async () => rmSync(store, { recursive: true, force: true }))
  if (monitorPort === undefined) return broker
  const monitorUrl = `http://127.0.0.1:${monitorPort}`
  await waitFor('the NATS monitoring port', () => reachable(monitorUrl, 200))
  return { ...broker, monitorUrl }
}

async function startPrivate(cleanup: Cleanup, scheme: string, command: (port: number) => [string, string[]]): Promise<PrivateBroker> {
  const port = await freePort()
  const url = `${scheme}://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  const launch = async () => {
    const [file, args] = command(port)
    child = spawn(file, args, { stdio: 'ignore' })
    child.on('error', () => {})
    const deadline = Date.now() + 5000
    while (!(await reachable(url, 200))) {
      if (Date.now() > deadline) throw new Error(`${file} did not start on port ${port}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  const kill = async () => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()))
    running.kill('SIGCONT')
    running.kill('SIGKILL')
    await exited
  }
  await launch()
  cleanup(kill)
  return {
    port,
    url,
    kill,
    restart: launch,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    stop: kill,
  }
}

/** Waits until `check()` is true, polling. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export { freePort }
