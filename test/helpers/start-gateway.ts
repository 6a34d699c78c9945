import type { TestContext } from 'node:test'
import { createGateway, silentLogger, type GatewayApp, type GatewayAppOptions } from '../../src/index.js'
import { TestSocket } from './test-socket.js'
import type { ClientOptions } from 'ws'

/** A gateway app listening on a free loopback port, closed when the test ends. */
export interface StartedGateway {
  app: GatewayApp
  port: number
  url(path?: string): string
  connect(path?: string, options?: ClientOptions): Promise<TestSocket>
}

export async function startGateway(t: TestContext, options: GatewayAppOptions): Promise<StartedGateway> {
  const app = createGateway({ logger: silentLogger, ...options })
  const { port } = await app.listen(0, '127.0.0.1')
  const sockets: TestSocket[] = []
  t.after(async () => {
    for (const socket of sockets) socket.ws.terminate()
    await app.close({ timeoutMs: 1000 })
  })
  const url = (path = '/ws') => `ws://127.0.0.1:${port}${path}`
  return {
    app,
    port,
    url,
    async connect(path = '/ws', clientOptions) {
      const socket = await TestSocket.connect(url(path), clientOptions)
      sockets.push(socket)
      return socket
    },
  }
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}
