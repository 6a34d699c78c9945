import { createConsoleLogger, inProcessTransport, type LogLevel, type Transport } from 'gangway-ws'

/**
 * The demo's bridge transport, chosen by `TRANSPORT_URL`: `amqp://…` (RabbitMQ),
 * `nats://…`, `redis://…`, or unset for the in-process transport (nothing to
 * install). Each broker's subpath is imported only when its URL is given.
 *
 * RabbitMQ and Redis hold requests for a service that is not running yet; core NATS
 * refuses them at once ("no responders"), so on NATS the demo carries requests on
 * JetStream (the server needs `-js`): `npm start` and `npm run worker` may then start
 * in any order. `NATS_JETSTREAM=0` uses core NATS (and the log says when no worker listens).
 */
export async function transportFromUrl(url = process.env.TRANSPORT_URL): Promise<Transport> {
  if (!url) return inProcessTransport()
  const scheme = url.slice(0, url.indexOf(':'))
  // Broker events and "no service is subscribed" warnings on the console, at GANGWAY_LOG_LEVEL (warn by default).
  const logger = createConsoleLogger((process.env.GANGWAY_LOG_LEVEL as LogLevel | undefined) ?? 'warn')
  // Keeps several demos (or test runs) on one broker apart; both processes must use the same one.
  const prefix = process.env.DEMO_PREFIX ?? 'gangway'
  switch (scheme) {
    case 'amqp':
    case 'amqps': {
      const { amqpTransport } = await import('gangway-ws/amqp')
      return amqpTransport(url, { logger, prefix })
    }
    case 'nats':
    case 'tls': {
      const { natsTransport } = await import('gangway-ws/nats')
      return natsTransport(url, { logger, prefix, jetstream: process.env.NATS_JETSTREAM !== '0' })
    }
    case 'redis':
    case 'rediss': {
      const { redisTransport } = await import('gangway-ws/redis')
      return redisTransport(url, { logger, prefix })
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
    const jetstream = (parsed.protocol === 'nats:' || parsed.protocol === 'tls:') && process.env.NATS_JETSTREAM !== '0' ? ' (JetStream)' : ''
    return `${parsed.protocol}//${parsed.host}${jetstream}`
  } catch {
    return 'the configured broker'
  }
}
