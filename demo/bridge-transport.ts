import { inProcessTransport, type Transport } from 'gangway-ws'

/**
 * The demo's bridge transport, chosen by `TRANSPORT_URL`: `amqp://…` (RabbitMQ),
 * `nats://…`, `redis://…`, or unset for the in-process transport (nothing to
 * install). Each broker's subpath is imported only when its URL is given.
 */
export async function transportFromUrl(url = process.env.TRANSPORT_URL): Promise<Transport> {
  if (!url) return inProcessTransport()
  const scheme = url.slice(0, url.indexOf(':'))
  switch (scheme) {
    case 'amqp':
    case 'amqps': {
      const { amqpTransport } = await import('gangway-ws/amqp')
      return amqpTransport(url)
    }
    case 'nats':
    case 'tls': {
      const { natsTransport } = await import('gangway-ws/nats')
      return natsTransport(url)
    }
    case 'redis':
    case 'rediss': {
      const { redisTransport } = await import('gangway-ws/redis')
      return redisTransport(url)
    }
    default:
      throw new Error(`TRANSPORT_URL must start with amqp://, nats:// or redis://, got ${JSON.stringify(url)}`)
  }
}

/** Where the demo's transport points, without credentials, for the start-up line. */
export function describeTransport(url = process.env.TRANSPORT_URL): string {
  if (!url) return 'in-process'
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}`
  } catch {
    return 'the configured broker'
  }
}
