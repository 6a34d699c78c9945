// A RabbitMQ node of a test's own (a memory alarm must never be raised on the shared broker): its
// own node name, AMQP and distribution ports, data, logs, config and (empty) plugin list in a temp
// directory. Debian's `rabbitmq-server` wrapper runs the node as the `rabbitmq` user in a session of
// its own, so the temp directory is world-writable and the node's OS pid is read from its pid file.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { reachable, type Cleanup } from './cluster-brokers.js'
import { freePort } from './free-port.js'

const START_TIMEOUT_MS = 30_000
const CTL_TIMEOUT_MS = 15_000

export interface PrivateRabbit {
  readonly node: string
  readonly url: string
  /** `rabbitmqctl set_vm_memory_high_watermark <value>` (e.g. `'0.000001'` raises the alarm, `'0.4'` lifts it). */
  setMemoryWatermark(value: string): Promise<void>
  /** Graceful stop with a timeout, then SIGKILL of whatever is left; idempotent. */
  stop(): Promise<void>
}

/** Why a private node cannot be started here, or `undefined`. Under `CI=true` it throws instead. */
export function privateRabbitSkipReason(): string | undefined {
  const missing = ['rabbitmq-server', 'rabbitmqctl'].filter((bin) => !onPath(bin))
  if (missing.length === 0) return undefined
  const message = `${missing.join(' and ')} not found on PATH (install the rabbitmq-server package to run this case)`
  if (process.env.CI === 'true') throw new Error(`CI: ${message}`)
  return message
}

export async function startPrivateRabbit(cleanup: Cleanup): Promise<PrivateRabbit> {
  const port = await freePort()
  const distPort = await freePort()
  const node = `gw-f5-${process.pid}-${port}@localhost`
  const dir = mkdtempSync(join(tmpdir(), 'gw-f5-rabbit-'))
  chmodSync(dir, 0o777)
  // The system config pins the shared node's listener to 5672: ours names its own port.
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\n`, { mode: 0o644 })
  writeFileSync(join(dir, 'enabled_plugins'), '', { mode: 0o644 })
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_FEATURE_FLAGS_FILE: join(dir, 'feature_flags'),
    RABBITMQ_PID_FILE: join(dir, 'beam.pid'),
    ERL_CRASH_DUMP: join(dir, 'erl_crash.dump'),
  }
  let output = ''
  const child: ChildProcess = spawn('rabbitmq-server', [], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)))
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)))
  child.on('error', () => {})
  const ctl = (...args: string[]) => run('rabbitmqctl', ['-n', node, ...args], env)

  let stopped: Promise<void> | undefined
  const stop = () =>
    (stopped ??= (async () => {
      await ctl('stop').catch(() => {})
      // The beam runs in a session of its own (su), so killing our child's group is not enough.
      const beam = readPid(join(dir, 'beam.pid'))
      const deadline = Date.now() + 5000
      while (beam !== undefined && alive(beam) && Date.now() < deadline) await sleep(100)
      if (beam !== undefined) killGroupOf(beam)
      if (child.pid !== undefined) tryKill(-child.pid)
      rmSync(dir, { recursive: true, force: true })
    })())
  cleanup(stop)

  const url = `amqp://guest:guest@127.0.0.1:${port}`
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!(await reachable(url, 200))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`the private RabbitMQ node ${node} did not start within ${START_TIMEOUT_MS} ms:\n${output}`)
    }
    await sleep(100)
  }
  return { node, url, stop, setMemoryWatermark: async (value) => void (await ctl('set_vm_memory_high_watermark', value)) }
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: CTL_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, bin)))
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** SIGKILLs the beam's process group (its shell, erl_child_setup and helpers), then the beam itself. */
function killGroupOf(pid: number): void {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
    if (pgid > 1) tryKill(-pgid)
  } catch {
    // Already gone.
  }
  tryKill(pid)
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
