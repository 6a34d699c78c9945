import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { SubscribeOptions } from '../definition/define-gateway.js'
import { handlerDefinition } from '../definition/define-gateway.js'
import { recordMember } from './decorator-metadata.js'

/** A member decorator usable as a standard decorator and under `experimentalDecorators`. */
export interface DualMemberDecorator {
  (value: unknown, context: ClassMethodDecoratorContext | ClassFieldDecoratorContext): void
  (target: object, propertyKey: string | symbol, descriptor?: PropertyDescriptor): void
}

/**
 * Subscribes a method (or a field holding a function) to an event. The handler
 * gets `(data, client)`; what it returns is the reply.
 *
 * @example
 * @Subscribe('join', { schema: z.object({ room: z.string() }) })
 * async join({ room }: { room: string }, client: Client) { await client.join(room); return { room } }
 */
export function Subscribe<S extends StandardSchemaV1 | undefined = undefined>(event: string, options: SubscribeOptions<S> = {}): DualMemberDecorator {
  // Validate what can be validated now, so the error points at the decorator.
  handlerDefinition(event, () => undefined, options)
  const frozen = Object.freeze({ ...options })
  return ((...args: unknown[]) => {
    recordMember('Subscribe', args, (key, get) => ({ kind: 'subscribe', key, get, event, options: frozen }))
  }) as DualMemberDecorator
}
