// Faults the soak can inject mid-run, by id: SOAK_FAULTS=F9,... Each case prepares before the
// load starts, is injected at a fraction of the run, and reports what it checked; its failures
// fail the run like a ledger row that is not zero. The cluster (F1, F2, L4) and bridge
// (F3–F6, F11, L2, L3) cases plug in here once those parts are merged.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

export interface FaultContext {
  /** The gateway's WebSocket URL. */
  url: string
  /** Server connections the load itself holds. */
  baseConnections: number
  /** Asks the server how many connections it holds now. */
  serverConnections(): Promise<number>
  /** Registers a child process to kill when the run ends, whatever happens. */
  track(child: ChildProcess): void
}

export interface FaultOutcome {
  id: string
  name: string
  detail: Record<string, number>
  failures: string[]
}

export interface SoakFault {
  id: string
  name: string
  /** When to inject, as a fraction of the load phase. */
  at: number
  prepare(context: FaultContext): Promise<void>
  inject(context: FaultContext): Promise<FaultOutcome>
}

const holderScript = fileURLToPath(new URL('../test/reliability/socket-holder.js', import.meta.url))

/** F9 under load: a process holding 500 sockets is killed (connections reset) mid-run. */
function vanishedClients(sockets = 500): SoakFault {
  let holder: ChildProcess | undefined
  return {
    id: 'F9',
    name: `${sockets} clients vanish (process killed, connections reset) mid-run`,
    at: 0.5,
    async prepare(context) {
      holder = fork(holderScript, [context.url, String(sockets), '127.0.2.1'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
      context.track(holder)
      await once(holder, 'message')
    },
    async inject(context) {
      const failures: string[] = []
      const before = await context.serverConnections()
      holder!.send('pause')
      await once(holder!, 'message')
      const killedAt = performance.now()
      holder!.kill('SIGKILL')
      let now = before
      while (now > context.baseConnections && performance.now() - killedAt < 60_000) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        now = await context.serverConnections()
      }
      const releasedMs = performance.now() - killedAt
      if (before !== context.baseConnections + sockets) failures.push(`F9: ${before} connections before the kill, expected ${context.baseConnections + sockets}`)
      if (now !== context.baseConnections) failures.push(`F9: ${now} connections after the kill, expected ${context.baseConnections}`)
      return { id: 'F9', name: this.name, detail: { sockets, released: before - now, releasedMs: Math.round(releasedMs) }, failures }
    },
  }
}

/** Every fault case the soak knows, by id. */
export const SOAK_FAULTS: Readonly<Record<string, () => SoakFault>> = Object.freeze({
  F9: () => vanishedClients(),
})
