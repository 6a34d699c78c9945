import { GatewayError } from '../errors/gateway-error.js'
import type { GatewayConfig } from '../definition/gateway-definition.js'
import { classRecord, decoratedClass } from './decorator-metadata.js'

/** A class decorator usable as a standard decorator and under `experimentalDecorators`. */
export interface DualClassDecorator {
  (value: Function, context: ClassDecoratorContext): void
  (target: Function): void
}

/**
 * Marks a class as a gateway mounted at `path`.
 *
 * @example
 * @Gateway({ path: '/chat' })
 * class ChatGateway {
 *   @Subscribe('echo') echo(data: unknown) { return data }
 * }
 */
export function Gateway(config: GatewayConfig): DualClassDecorator {
  if (config === null || typeof config !== 'object' || typeof config.path !== 'string') {
    throw new GatewayError('CONFIG_INVALID', '@Gateway needs a config { path }')
  }
  const frozen = Object.freeze({ ...config })
  return ((...args: unknown[]) => {
    const target = decoratedClass('Gateway', args)
    classRecord(target).config = { name: target.name || frozen.path, ...frozen }
  }) as DualClassDecorator
}
