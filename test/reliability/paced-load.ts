import type { TestContext } from 'node:test'
import { createMicroservice, defineGateway, forward, silentLogger, type Transport } from '../../src/index.js'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.js'
import { PacedClient } from './paced-client.js'

export interface PacedLoadOptions {
  /** The service's and the gateway's transports: two connections to the same broker. */
  readonly serviceTransport: Transport
  readonly gatewayTransport: Transport
  /** The pattern the service answers `{ n }` → `{ n }` on and the gateway forwards `echo` to. */
  readonly pattern: string
  readonly timeoutMs: number
  readonly clients: number
  readonly intervalMs: number
}

/**
 * The bridge fault tests' setup: an echo service, a gateway forwarding `echo` to it, and paced
 * clients already sending (for 1.5 s when this returns). Everything is closed after the test.
 */
export async function startPacedLoad(t: TestContext, options: PacedLoadOptions): Promise<{ clients: PacedClient[]; app: StartedGateway['app'] }> {
  const { serviceTransport, gatewayTransport, pattern } = options
  const service = createMicroservice({ transport: serviceTransport, logger: silentLogger }).handle(pattern, ({ n }: { n: number }) => ({ n }))
  await service.listen()
  t.after(async () => {
    await service.close()
    await serviceTransport.close()
    await gatewayTransport.close()
  })
  const gateway = defineGateway({ path: '/ws' }).subscribe('echo', forward(pattern, { timeoutMs: options.timeoutMs }))
  const gw = await startGateway(t, { gateways: [gateway], transport: gatewayTransport, rateLimit: false })
  await gw.app.ready()

  const clients = Array.from({ length: options.clients }, (_, i) => new PacedClient(`c${i}`, 'echo', options.intervalMs))
  await Promise.all(clients.map((c) => c.connect(gw.url())))
  t.after(() => clients.forEach((c) => c.close()))
  for (const client of clients) client.start()
  await new Promise((resolve) => setTimeout(resolve, 1500))
  return { clients, app: gw.app }
}
