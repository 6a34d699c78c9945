import { forward, Gateway, OnConnect, OnDisconnect, Subscribe, type Client } from 'gangway-ws'

/**
 * The WebSocket gateway of the write-up, in gangway: `send` is forwarded to the NestJS
 * microservice's `{ cmd: 'send' }` over RabbitMQ, and its answer comes back to this socket as
 * the reply to the client's request — no socket map, no reply queue of our own.
 */
@Gateway({ path: '/ws', namespace: 'main' })
export class WsGateway {
  @Subscribe('send') send = forward({ cmd: 'send' }, { timeoutMs: 10_000 })

  @OnConnect()
  connected(client: Client) {
    console.log(`gateway: ${client.id} connected`)
  }

  @OnDisconnect()
  disconnected(client: Client) {
    console.log(`gateway: ${client.id} disconnected`)
  }
}
