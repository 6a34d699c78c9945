import { GatewayError } from '../errors/gateway-error.js'
import { nestRoute } from './nest-route.js'

/**
 * What a message is sent to: a string of letters, digits, `.`, `:`, `_` and `-`
 * (`'demo.ask'`), or an object, as NestJS services name their handlers
 * (`@MessagePattern({ cmd: 'sum' })`).
 */
export type MessagePattern = string | Readonly<Record<string, unknown>>

const NAME = /^[A-Za-z0-9_.:-]{1,200}$/
/** An object pattern's route: NestJS's normalized form, without whitespace (it becomes a NATS subject). */
const OBJECT_ROUTE = /^\{[^\s]{1,998}\}$/

/**
 * The route of a pattern: the string itself, or an object pattern normalized
 * exactly as NestJS does (`nestRoute`), so `{ cmd: 'sum' }` and `{"cmd":"sum"}`
 * name one handler on both sides. Throws `INVALID_ARGUMENT` for anything else.
 */
export function patternRoute(pattern: MessagePattern): string {
  if (typeof pattern === 'string' && NAME.test(pattern)) return pattern
  const object = typeof pattern === 'string' ? parseObject(pattern) : pattern
  if (typeof object === 'object' && object !== null && !Array.isArray(object)) {
    const route = nestRoute(object)
    if (OBJECT_ROUTE.test(route)) return route
  }
  let shown: string
  try {
    shown = JSON.stringify(pattern) ?? String(pattern)
  } catch {
    shown = String(pattern)
  }
  throw new GatewayError(
    'INVALID_ARGUMENT',
    `A pattern is 1-200 characters of letters, digits, ".", ":", "_" or "-", or an object without whitespace in its values (a NestJS pattern), got ${shown}`,
  )
}

/** A string that is an object pattern in JSON (a route already, or keys in another order). */
function parseObject(text: string): unknown {
  if (!text.startsWith('{')) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
