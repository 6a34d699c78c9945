import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** A suite other parts of the project add as an npm script (`bench:cluster`, `bench:bridge`, `bench:history`). */
export interface ExtraSuite {
  readonly script: string
  readonly output: string
  readonly ok: boolean
  readonly seconds: number
  /** When the suite finished (ISO); suites added to a saved run later say so in BENCHMARKS.md. */
  readonly finished?: string
}

export const EXTRA_SCRIPTS = ['bench:cluster', 'bench:bridge', 'bench:history'] as const

/** The extra bench scripts defined in package.json. */
export function availableExtras(packageJson: string): string[] {
  const scripts = (JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {}
  return EXTRA_SCRIPTS.filter((name) => typeof scripts[name] === 'string')
}

/**
 * Runs `npm run <script> --silent [-- --quick]` with a time limit and captures
 * what it prints (markdown tables). Its stderr goes to ours so progress shows.
 * The child runs in its own process group so the whole group dies on timeout.
 */
export function runExtra(script: string, quick: boolean, timeoutMs: number): Promise<ExtraSuite> {
  const started = Date.now()
  return new Promise((resolve) => {
    const args = ['run', script, '--silent', ...(quick ? ['--', '--quick'] : [])]
    const child = spawn('npm', args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    const timer = setTimeout(() => {
      output += `\n\n_${script} was stopped after ${Math.round(timeoutMs / 1000)} s._\n`
      kill()
    }, timeoutMs)
    process.once('exit', kill)
    child.on('close', (code) => {
      clearTimeout(timer)
      process.off('exit', kill)
      resolve({ script, output: output.trim(), ok: code === 0, seconds: (Date.now() - started) / 1000, finished: new Date().toISOString() })
    })
  })
}
