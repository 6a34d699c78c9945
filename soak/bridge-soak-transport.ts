// The transport both `npm run soak:bridge` processes (gateway and worker) open on the broker named
// in argv[2] (`nats` or `amqp`), with the run's prefix from argv[3]; AMQP_URL and NATS_URL name the
// brokers (the loopback defaults otherwise).
import type { Transport } from 'gangway-ws'

export async function soakTransport(kind = process.argv[2], prefix = process.argv[3]!): Promise<Transport> {
  if (kind === 'amqp') return (await import('gangway-ws/amqp')).amqpTransport(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672', { prefix, requestQueueExpiresMs: 120_000 })
  if (kind === 'nats') return (await import('gangway-ws/nats')).natsTransport(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', { prefix })
  throw new Error(`unknown broker ${kind}`)
}
