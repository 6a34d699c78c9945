import { spawn, type ChildProcess } from 'node:child_process'

/**
 * A server in a child process that a test can kill and start again, on the same port.
 * It waits for the child to print a line with its port; `kill()` waits for the exit.
 */
export class ChildServer {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly output: () => string,
  ) {}

  /** Starts `node <script>` with `env`, resolving once stdout matches `ready` (its group 1 is the port). */
  static start(script: string, env: Record<string, string>, ready: RegExp, timeoutMs = 15_000): Promise<ChildServer> {
    const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`${script} did not print ${ready} within ${timeoutMs} ms; output:\n${output}`))
      }, timeoutMs)
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        const match = ready.exec(output)
        if (match) {
          clearTimeout(timer)
          resolve(new ChildServer(child, Number(match[1]), () => output))
        }
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()))
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`${script} exited (${code ?? signal}) before it was ready; output:\n${output}`))
      })
    })
  }

  /** Kills the child (SIGKILL by default: no goodbye, like a crash) and resolves once it exited. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve()
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.kill(signal)
    return exited
  }
}

export { freePort } from './free-port.js'
