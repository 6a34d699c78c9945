import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createGateway } from 'gangway-ws'
import { ChatGateway } from '../../demo/chat-gateway.js'
import type { RunningTarget } from './target.js'

/**
 * gangway serving the demo gateway (`echo`, `join`, `publish`, a `welcome` push
 * on connect), mounted on a plain HTTP server the way the demo does it.
 *
 * Options are gangway's defaults (heartbeat every 30 s, 1 MiB max payload, hello
 * frame off, outbox bounds, origin policy) except three limits that stay on but
 * are raised because the load generator is one trusted client pushing far more
 * than a browser would: messages from 1,000 to 50,000/s per connection; and,
 * because it opens 10,000 connections from 6 loopback addresses in a few
 * seconds, upgrades per address from 100/s (burst 1,000) to 10,000/s, and
 * sockets per address from 1,000 to 10,000.
 */
export async function start(): Promise<RunningTarget> {
  const http = createServer((_request, response) => void response.writeHead(404).end())
  const app = createGateway({
    gateways: [new ChatGateway()],
    rateLimit: { messagesPerSecond: 50_000, burst: 100_000 },
    handshakeRateLimit: { perSecond: 10_000, burst: 10_000 },
    maxConnectionsPerAddress: 10_000,
  })
  app.attach(http)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    port: (http.address() as AddressInfo).port,
    async close() {
      await app.close({ timeoutMs: 1000 })
      http.closeAllConnections()
      await new Promise((resolve) => http.close(resolve))
    },
  }
}
