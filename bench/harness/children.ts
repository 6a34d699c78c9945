import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'

/**
 * Starts harness children pinned to one core and makes sure none outlives the
 * run: every child is killed when the orchestrator exits, including on Ctrl-C
 * and SIGTERM, and each child also exits by itself when its IPC channel closes.
 */
const live = new Set<ChildProcess>()
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0

/** Whether children can be pinned to cores (`taskset` present and allowed). */
export const canPin = hasTaskset

export interface SpawnOptions {
  readonly script: string
  readonly args?: readonly string[]
  readonly nodeArgs?: readonly string[]
  /** Core to pin to; unpinned when undefined or when taskset is missing. */
  readonly cpu?: number
  /** Where the child's stdout and stderr go. */
  readonly logFile: string
  /** Added to the orchestrator's environment. */
  readonly env?: Readonly<Record<string, string>>
}

export function spawnChild(options: SpawnOptions): ChildProcess {
  const node = [process.execPath, ...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])]
  const pinned = options.cpu !== undefined && hasTaskset ? ['taskset', '-c', String(options.cpu), ...node] : node
  // Raise the soft open-files limit to the hard one: 10,000 idle connections need as many descriptors.
  const argv = ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...pinned]
  const log = openSync(options.logFile, 'a')
  const child = spawn('/bin/sh', argv, { stdio: ['ignore', log, log, 'ipc'], ...(options.env ? { env: { ...process.env, ...options.env } } : {}) })
  closeSync(log)
  live.add(child)
  child.on('exit', () => live.delete(child))
  return child
}

/**
 * Sends a message to a child; a child that has already gone (its channel closed) is not an
 * error here — whoever waits for its answer learns that from its exit.
 */
export function tell(child: ChildProcess, message: object): void {
  if (child.connected) child.send(message, () => {})
}

/** Kills every child still running. */
export function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
  live.clear()
}

/** Waits for a child to exit, killing it with SIGKILL after `ms`. */
export function stopChild(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

process.on('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping every benchmark process\n`)
    killAll()
    process.exit(130)
  })
}

/** Waits for the first IPC message matching `accept`, failing after `ms` or if the child exits. */
export function nextMessage<T>(child: ChildProcess, accept: (message: unknown) => T | undefined, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const onMessage = (message: unknown) => {
      const fatal = message as { type?: string; message?: string }
      if (fatal?.type === 'fatal') {
        cleanup()
        return reject(new Error(`${what}: ${fatal.message}`))
      }
      const value = accept(message)
      if (value !== undefined) {
        cleanup()
        resolve(value)
      }
    }
    const onExit = (code: number | null, signal: string | null) => {
      cleanup()
      reject(new Error(`${what}: process exited (${signal ?? code}) before answering`))
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`${what}: no answer within ${ms} ms`))
    }, ms)
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}
