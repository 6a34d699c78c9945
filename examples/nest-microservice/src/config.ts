/** Where everything meets: the broker, the NestJS service's queue, the gateway's port. */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
/** The queue the NestJS microservice consumes (its `Transport.RMQ` options). */
export const QUEUE = process.env.QUEUE ?? 'ws_queue'
export const PORT = Number(process.env.PORT ?? 3333)
