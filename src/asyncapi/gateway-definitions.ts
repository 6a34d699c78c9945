import { toDefinition } from '../app/create-gateway.js'
import { exploreGateway } from '../decorators/explore-gateway.js'
import type { GatewayDefinition, GatewayLike } from '../definition/gateway-definition.js'
import { GatewayError } from '../errors/gateway-error.js'

/** Something a document can be generated from: a running app's definitions, or gateways. */
export type AsyncApiSource =
  | { readonly gateways: readonly GatewayDefinition[]; readonly options?: { readonly hello?: boolean } }
  | readonly (GatewayLike | GatewayDefinition | Function)[]

/** Whether a value is already a gateway definition. */
export function isGatewayDefinition(value: unknown): value is GatewayDefinition {
  const v = value as Partial<GatewayDefinition> | null
  return typeof v === 'object' && v !== null && typeof v.path === 'string' && typeof v.namespace === 'string' && Array.isArray(v.handlers)
}

/**
 * The definition of anything describing a gateway. A `@Gateway` class is read
 * from its prototype without being constructed — documentation never runs a
 * constructor; field handlers are documented from their decorator's record.
 */
export function definitionOfAny(value: GatewayLike | GatewayDefinition | Function): GatewayDefinition {
  if (isGatewayDefinition(value)) return value
  if (typeof value === 'function') {
    const name = value.name || 'anonymous class'
    const explored = exploreGateway(Object.create(value.prototype as object) as object, { describeOnly: true })
    if (!explored) throw new GatewayError('CONFIG_INVALID', `${name} is not a gateway: decorate it with @Gateway({ path })`)
    return explored
  }
  return toDefinition(value)
}

/** The definitions and the hello setting of a source. */
export function readSource(source: AsyncApiSource): { definitions: readonly GatewayDefinition[]; hello: boolean | undefined } {
  if (Array.isArray(source)) return { definitions: source.map(definitionOfAny), hello: undefined }
  const app = source as Exclude<AsyncApiSource, readonly unknown[]>
  if (!Array.isArray(app?.gateways)) throw new GatewayError('INVALID_ARGUMENT', 'asyncApiDocument() takes a GatewayApp or an array of gateways')
  return { definitions: app.gateways, hello: app.options?.hello }
}
