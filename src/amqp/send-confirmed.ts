import type { ConfirmChannel, Options } from 'amqplib'
import { GatewayError } from '../internal.js'

/**
 * Publishes to a queue through the default exchange on a confirm channel. Resolves once
 * RabbitMQ confirmed the message; rejects with `UNAVAILABLE` when it did not (a nack) or the
 * channel is closed. Both RabbitMQ wires publish requests this way.
 */
export function sendConfirmed(channel: ConfirmChannel, queue: string, body: Buffer, properties: Options.Publish): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    try {
      channel.sendToQueue(queue, body, properties, (err) => {
        if (err) reject(new GatewayError('UNAVAILABLE', 'RabbitMQ did not confirm the request', { cause: err }))
        else resolve()
      })
    } catch (err) {
      reject(new GatewayError('UNAVAILABLE', 'The AMQP channel is closed', { cause: err }))
    }
  })
}
