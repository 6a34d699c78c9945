import { GatewayError } from '../errors/gateway-error.js'
import { definitionOf, hasDefinition } from '../definition/define-gateway.js'
import type { GatewayDefinition, GatewayLike } from '../definition/gateway-definition.js'
import { exploreGateway } from '../decorators/explore-gateway.js'
import { resolveOptions, type GatewayAppOptions } from '../options/gateway-options.js'
import { GatewayApp } from './gateway-app.js'

/**
 * Creates a gateway app from `@Gateway` instances and `defineGateway` builders.
 * Definitions are read once here and frozen; gangway never instantiates a
 * gateway class itself, so each gateway exists exactly once.
 *
 * @example
 * const app = createGateway({ gateways: [new ChatGateway(rooms)] })
 * app.attach(httpServer) // or: await app.listen(3000)
 */
export function createGateway(options: GatewayAppOptions): GatewayApp {
  const resolved = resolveOptions(options)
  const definitions = resolved.gateways.map(toDefinition)
  const paths = new Set<string>()
  for (const { path } of definitions) {
    if (paths.has(path)) throw new GatewayError('CONFIG_INVALID', `Two gateways are mounted at ${path}`)
    paths.add(path)
  }
  return new GatewayApp(resolved, definitions)
}

/** The definition of anything `createGateway` accepts. */
export function toDefinition(gateway: GatewayLike): GatewayDefinition {
  if (typeof gateway === 'function') {
    const name = (gateway as { name?: string }).name || 'anonymous'
    throw new GatewayError('CONFIG_INVALID', `Pass an instance of ${name} (new ${name}(...)), not the class: gangway never instantiates gateways itself`)
  }
  if (hasDefinition(gateway)) return definitionOf(gateway)
  const explored = typeof gateway === 'object' && gateway !== null ? exploreGateway(gateway) : undefined
  if (explored) return explored
  const name = (gateway as { constructor?: { name?: string } })?.constructor?.name ?? typeof gateway
  throw new GatewayError('CONFIG_INVALID', `${name} is not a gateway: decorate its class with @Gateway({ path }) or build it with defineGateway()`)
}
