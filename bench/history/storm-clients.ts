// One load-generator process of the recovery storm (child process; the storm runs two).
// Its share of the clients connects and joins, waits for the warm-up message, drops its
// transport, and on command reconnects all at once and recovers. Commands and answers
// travel over IPC; every wait is bounded and the process exits when its parent goes away.
import { Histogram } from '../harness/histogram.js'
import { StormSession, type StormFramework } from './storm-session.js'
import { now, onCommand, reply, settleAll } from './ipc.js'
import { createLimit } from './limit.js'

export interface StormClientsConfig {
  readonly framework: StormFramework
  readonly port: number
  /** The room of each of this process's clients. */
  readonly rooms: readonly string[]
  readonly sourceAddresses: readonly string[]
  /** Connection handshakes in flight at once (bounds the burst the listen backlog sees). */
  readonly maxConnecting: number
  readonly timeoutMs: number
}

/** What a generator reports after a storm. */
export interface StormClientsReport {
  readonly type: 'recovered'
  readonly startedAt: number
  readonly lastRecoveredAt: number
  readonly recovered: number
  readonly failed: number
  readonly reasons: Record<string, number>
  /** This generator's CPU time over the storm (is the load generator the bottleneck?). */
  readonly cpuMs: number
  /** Per-client time from the reconnect command to recovery, µs (histogram pairs). */
  readonly times: Array<[number, number]>
}

const config = JSON.parse(process.env.STORM_CLIENTS!) as StormClientsConfig
const sessions = config.rooms.map(
  (room, i) =>
    new StormSession({
      framework: config.framework,
      port: config.port,
      room,
      localAddress: config.sourceAddresses[i % config.sourceAddresses.length]!,
      timeoutMs: config.timeoutMs,
    }),
)

const limit = createLimit(config.maxConnecting)

onCommand(async (command) => {
  switch (command.cmd) {
    case 'connect': {
      const failures = await settleAll(sessions, (s) => s.join(limit))
      return reply({ type: 'connected', connected: sessions.length - failures.length, failures: failures.slice(0, 3) })
    }
    case 'await-warm': {
      const failures = await settleAll(sessions, (s) => s.receivedAtLeast(1))
      return reply({ type: 'warm', missing: failures.length })
    }
    case 'drop':
      for (const session of sessions) session.drop()
      return reply({ type: 'dropped' })
    case 'recover': {
      const expected = command.expected as number
      const startedAt = now()
      const cpuBefore = process.cpuUsage()
      const times = new Histogram()
      let lastRecoveredAt = startedAt
      const failures = await settleAll(sessions, async (s) => {
        await s.recover(expected, limit)
        lastRecoveredAt = Math.max(lastRecoveredAt, now())
        times.record((now() - startedAt) * 1000)
      })
      const cpu = process.cpuUsage(cpuBefore)
      const reasons: Record<string, number> = {}
      for (const reason of failures) reasons[reason] = (reasons[reason] ?? 0) + 1
      const report: StormClientsReport = {
        type: 'recovered',
        startedAt,
        lastRecoveredAt,
        recovered: sessions.length - failures.length,
        failed: failures.length,
        reasons,
        cpuMs: (cpu.user + cpu.system) / 1000,
        times: times.toPairs(),
      }
      return reply(report)
    }
    case 'stop':
      for (const session of sessions) session.close()
      process.exit(0)
  }
})
