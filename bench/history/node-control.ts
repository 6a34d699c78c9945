// What the orchestrator asks of a gateway node in the history benchmarks (child process):
// its CPU time and RSS, the open connections, publishing to rooms from the server side,
// the peak RSS over a window (sampled every 20 ms by the node itself), and its event-loop
// delay over a window (what every connection's next frame waits for, seen from the server).
import { createServer, type Server } from 'node:http'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { onCommand, reply } from './ipc.js'

export interface NodeHooks {
  /** Sends one message to a room from the server (what an app's own code would do). */
  publish(room: string, payload: object): void
  close(): Promise<void>
  /** Connections the server itself says it recovered (Socket.IO: `socket.recovered`), where it can tell. */
  recovered?(): number
}

/** An HTTP server for the gateway to attach to, listening with a backlog large enough for a reconnect storm. */
export function createNodeServer(): Server {
  return createServer((_request, response) => void response.writeHead(404).end())
}

export async function listen(http: Server): Promise<number> {
  await new Promise<void>((resolve) => http.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve))
  return (http.address() as { port: number }).port
}

const PAD = 'x'.repeat(80)
const LOOP_RESOLUTION_MS = 1

export function serveControl(http: Server, hooks: NodeHooks): void {
  let peak = 0
  let sampler: NodeJS.Timeout | undefined
  let loop: IntervalHistogram | undefined
  onCommand(async (command) => {
    switch (command.cmd) {
      case 'stats': {
        const connections = await new Promise<number>((resolve) => http.getConnections((_err, count) => resolve(count ?? -1)))
        const cpu = process.cpuUsage()
        return reply({ type: 'stats', cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage.rss(), connections, recovered: hooks.recovered?.() ?? -1 })
      }
      case 'publish': {
        // Message by message across the rooms, yielding now and then so the node keeps serving.
        const rooms = command.rooms as string[]
        const perRoom = command.perRoom as number
        let sent = 0
        for (let i = 0; i < perRoom; i++) {
          for (const room of rooms) {
            hooks.publish(room, { room, i, text: PAD })
            if (++sent % 200 === 0) await new Promise((resolve) => setImmediate(resolve))
          }
        }
        return reply({ type: 'published', sent })
      }
      case 'rss-watch':
        peak = process.memoryUsage.rss()
        clearInterval(sampler)
        sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20)
        return reply({ type: 'rss-watching', rss: peak })
      case 'rss-peak':
        clearInterval(sampler)
        return reply({ type: 'rss-peak', peak: Math.max(peak, process.memoryUsage.rss()) })
      case 'loop-start':
        loop?.disable()
        loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
        loop.enable()
        return reply({ type: 'loop-started' })
      case 'loop-stop': {
        loop?.disable()
        // The histogram holds the time between samples, so the sampling interval itself is taken off.
        const p99Ms = loop && loop.count > 0 ? Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS) : NaN
        const maxMs = loop && loop.count > 0 ? Math.max(0, loop.max / 1e6 - LOOP_RESOLUTION_MS) : NaN
        return reply({ type: 'loop', p99Ms, maxMs })
      }
      case 'stop':
        clearInterval(sampler)
        await Promise.race([hooks.close(), new Promise((resolve) => setTimeout(resolve, 2000))])
        process.exit(0)
    }
  })
}
