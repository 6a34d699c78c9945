import { Transport } from '@nestjs/microservices'
import { runId, urls, type Broker } from './brokers.js'

/** The NestJS service's RabbitMQ queue (the gangway gateway in front of it declares it the same way). */
export const nestQueue = { queue: `nest-${runId}`, queueOptions: { durable: false, arguments: { 'x-expires': 600_000 } } }

/** NestJS microservice options per broker: the documented set-up, with Nest's defaults. */
export function nestOptions(broker: Broker): any {
  if (broker === 'amqp') return { transport: Transport.RMQ, options: { urls: [urls.amqp], ...nestQueue } }
  if (broker === 'nats') return { transport: Transport.NATS, options: { servers: [urls.nats] } }
  const url = new URL(urls.redis)
  return { transport: Transport.REDIS, options: { host: url.hostname, port: Number(url.port || 6379) } }
}
