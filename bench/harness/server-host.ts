/**
 * Child process that runs one target server and answers CPU/memory queries
 * from the orchestrator over IPC. Started pinned to the server core; exits
 * when the orchestrator goes away.
 */
import { TARGETS, type TargetName } from './targets.js'
import type { ServerCommand, ServerReport } from './messages.js'
import type { StartTarget } from '../targets/target.js'

const send = (report: ServerReport) => process.send?.(report)
const name = process.argv[2] as TargetName
const target = TARGETS[name]
if (!target) {
  send({ type: 'fatal', message: `unknown target ${name}` })
  process.exit(2)
}
process.on('disconnect', () => process.exit(0))

const module = (await import(new URL(`../${target.module}`, import.meta.url).href)) as { start: StartTarget }
const running = await module.start()

process.on('message', (command: ServerCommand) => {
  if (command.type === 'exit') {
    // Exiting (rather than being killed) lets --cpu-prof write its profile. No graceful close:
    // tearing down thousands of room members one by one is not what is measured.
    process.exit(0)
  }
  if (command.gc && typeof globalThis.gc === 'function') {
    globalThis.gc()
    globalThis.gc()
  }
  const cpu = process.cpuUsage()
  const memory = process.memoryUsage()
  send({ type: 'usage', seq: command.seq, at: performance.now(), cpuMicros: cpu.user + cpu.system, rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal })
})
send({ type: 'ready', port: running.port })
