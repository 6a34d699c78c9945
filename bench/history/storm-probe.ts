// The live side of the recovery storm (child process): a few clients that keep doing
// request/reply (`echo`) at a steady pace while the storm runs — their latency, against
// the same clients' latency before the storm, is the "live p99" — and one watcher joined
// to the storm's rooms that says when every published message has been delivered (and
// so stored: both servers broadcast only after the store took the message).
import { Histogram } from '../harness/histogram.js'
import { onCommand, reply } from './ipc.js'
import { StormSession, type StormFramework } from './storm-session.js'

export interface StormProbeConfig {
  readonly framework: StormFramework
  readonly port: number
  readonly liveClients: number
  /** Each live client sends one request per interval, answered or not (open loop: a slow answer cannot hide the next one's wait). */
  readonly intervalMs: number
  readonly rooms: readonly string[]
  readonly localAddress: string
  readonly timeoutMs: number
}

const config = JSON.parse(process.env.STORM_PROBE!) as StormProbeConfig
const session = (room: string) =>
  new StormSession({ framework: config.framework, port: config.port, room, localAddress: config.localAddress, timeoutMs: config.timeoutMs })
const live = Array.from({ length: config.liveClients }, () => session('live'))
const watchers = config.rooms.map(session)
const unlimited = <T>(task: () => Promise<T>) => task()
const ECHO = JSON.stringify({ text: 'x'.repeat(48) })

let latencies = new Histogram()
let sent = 0
let failed = 0
let pacer: NodeJS.Timeout | undefined
const inFlight = new Set<Promise<void>>()
let baseline: number[] = []

onCommand(async (command) => {
  switch (command.cmd) {
    case 'connect':
      await Promise.all([...live.map((c) => c.connect()), ...watchers.map((w) => w.join(unlimited))])
      return reply({ type: 'ready' })
    case 'measure-start':
      latencies = new Histogram()
      sent = failed = 0
      pacer = setInterval(tick, config.intervalMs)
      tick()
      return reply({ type: 'measuring' })
    case 'measure-stop':
      clearInterval(pacer)
      // Requests still unanswered count too (the slowest answers are the point), each bounded by the session timeout.
      await Promise.allSettled(inFlight)
      return reply({ type: 'measured', latencies: latencies.toPairs(), sent, failed })
    case 'watch-reset':
      baseline = watchers.map((w) => w.received)
      return reply({ type: 'watching' })
    case 'await-delivered': {
      // Every watcher has the expected number of new messages (or the wait times out).
      const perRoom = command.perRoom as number
      await Promise.all(watchers.map((w, i) => w.receivedAtLeast((baseline[i] ?? 0) + perRoom)))
      return reply({ type: 'delivered' })
    }
    case 'stop':
      clearInterval(pacer)
      for (const c of [...live, ...watchers]) c.close()
      process.exit(0)
  }
})

function tick(): void {
  for (const client of live) {
    const started = performance.now()
    sent++
    const answered = client.request('echo', ECHO).then(
      () => void latencies.record((performance.now() - started) * 1000),
      () => void failed++,
    )
    inFlight.add(answered)
    void answered.finally(() => inFlight.delete(answered))
  }
}
