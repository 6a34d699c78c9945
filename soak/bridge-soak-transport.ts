// The transport both `npm run soak:bridge` processes (gateway and worker) open on the broker named
// in argv[2] (`nats` or `amqp`), with the run's prefix from argv[3].
import type { Transport } from 'gangway-ws'

export async function soakTransport(kind = process.argv[2], prefix = process.argv[3]!): Promise<Transport> {
  if (kind === 'amqp') return (await import('gangway-ws/amqp')).amqpTransport({ url: process.env.AMQP_URL, prefix, requestQueueExpiresMs: 120_000 })
  if (kind === 'nats') return (await import('gangway-ws/nats')).natsTransport({ servers: process.env.NATS_URL, prefix })
  throw new Error(`unknown broker ${kind}`)
}
