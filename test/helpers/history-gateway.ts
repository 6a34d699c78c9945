import type { TestContext } from 'node:test'
import { createClient, type GatewayClient, type RecoveryEvent } from '../../src/client/index.js'
import { defineGateway, type GatewayApp } from '../../src/index.js'

/**
 * The gateway of the history tests: `join` joins a room (with the envelope's `since`), `leave`
 * leaves it. An `adhoc:` room gets history from the join itself (`{ history }`), not from a rule.
 */
export const historyGateway = defineGateway({ path: '/ws' })
  .subscribe('join', async ({ room }: { room: string }, client) => {
    await client.join(room, room.startsWith('adhoc:') ? { history: { size: 50, ttlMs: 60_000 } } : undefined)
    return { room }
  })
  .subscribe('leave', async ({ room }: { room: string }, client) => {
    await client.leave(room)
    return { room }
  })

/** A message as the tests publish it: `n` counts per test. */
export interface Numbered {
  n: number
}

/** A client of `historyGateway` that records every `msg` push and every `$recovery`, and can be held offline. */
export interface RecordingClient {
  client: GatewayClient
  received: number[]
  recoveries: RecoveryEvent[]
  /** Closes the socket from the server side (1012) and holds the client offline until `resume()`. */
  drop(app: GatewayApp): Promise<void>
  resume(): void
}

export function recordingClient(t: TestContext, url: () => string): RecordingClient {
  let gate: Promise<void> = Promise.resolve()
  let open = () => {}
  const client = createClient(async () => (await gate, url()), { reconnect: { initialDelayMs: 10, maxDelayMs: 50 } })
  t.after(() => client.close())
  const received: number[] = []
  const recoveries: RecoveryEvent[] = []
  client.on('msg', (data) => void received.push((data as Numbered).n))
  client.onRecovery((event) => recoveries.push(event))
  return {
    client,
    received,
    recoveries,
    async drop(app) {
      gate = new Promise((resolve) => (open = resolve))
      const dropped = new Promise<void>((resolve) => {
        const stop = client.onStatus(({ status }) => {
          if (status === 'reconnecting') resolve(stop())
        })
      })
      for (const connection of app.server().connections()) connection.close(1012, 'test drop')
      await dropped
    },
    resume() {
      open()
    },
  }
}

/** Publishes `msg` { n } for n in [from, to] to `room` through `app`. */
export function publish(app: GatewayApp, room: string, from: number, to: number): void {
  for (let n = from; n <= to; n++) app.server().to(room).emit('msg', { n })
}

/** [from..to] */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}
