import { GatewayError } from '../errors/gateway-error.js'
import type { ConnectionGuard, MessageGuard } from '../contracts/guards.js'
import type { GatewayConfig } from '../definition/gateway-definition.js'
import type { SubscribeOptions } from '../definition/define-gateway.js'

/**
 * Where decorators record what they express. Decorators only record; the
 * explorer turns the records into a plain definition at mount. Both call
 * shapes are accepted:
 * - TypeScript standard decorators `(value, context)`: member records go into
 *   `context.metadata`, so subclasses inherit them through its prototype chain;
 * - `experimentalDecorators` (NestJS projects) `(prototype, key, descriptor)`:
 *   records go into a WeakMap keyed by the class.
 */

// Node 20 has no Symbol.metadata; without it TypeScript passes no `context.metadata`.
;(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata')
const METADATA = (Symbol as { metadata?: symbol }).metadata!

/** One decorated member. */
export type MemberRecord =
  | { readonly kind: 'subscribe'; readonly key: PropertyKey; readonly get: (instance: object) => unknown; readonly event: string; readonly options: SubscribeOptions }
  | { readonly kind: 'onConnect' | 'onDisconnect'; readonly key: PropertyKey; readonly get: (instance: object) => unknown }
  | { readonly kind: 'guards'; readonly key: PropertyKey; readonly guards: readonly MessageGuard[] }

/** What class decorators record. */
export interface ClassRecord {
  config?: GatewayConfig
  connectionGuards: ConnectionGuard[]
}

const kMembers = Symbol('gangway.members')
const legacyMembers = new WeakMap<Function, MemberRecord[]>()
const classRecords = new WeakMap<Function, ClassRecord>()

interface StandardContext {
  readonly kind: string
  readonly name: string | symbol | undefined
  readonly static?: boolean
  readonly private?: boolean
  readonly access?: { get?(instance: object): unknown }
  readonly metadata?: Record<PropertyKey, unknown>
}

/** Whether decorator arguments are the standard `(value, context)` shape. */
export function isStandardCall(args: readonly unknown[]): args is [unknown, StandardContext] {
  const context = args[1]
  return args.length === 2 && typeof context === 'object' && context !== null && 'kind' in context
}

/**
 * Records a member decorator call of either shape. `make` builds the record
 * from the member's key and an accessor that reads it from an instance.
 */
export function recordMember(
  decorator: string,
  args: readonly unknown[],
  make: (key: PropertyKey, get: (instance: object) => unknown) => MemberRecord,
): void {
  if (isStandardCall(args)) {
    const [, context] = args
    if (context.kind !== 'method' && context.kind !== 'field') {
      throw new GatewayError('CONFIG_INVALID', `@${decorator} decorates methods and fields, not a ${context.kind}`)
    }
    if (context.static) throw new GatewayError('CONFIG_INVALID', `@${decorator} cannot decorate the static member ${String(context.name)}`)
    const key = context.name as PropertyKey
    const read = context.private ? context.access?.get : undefined
    const get = read ? (instance: object) => read.call(context.access, instance) : (instance: object) => (instance as Record<PropertyKey, unknown>)[key]
    const metadata = context.metadata
    if (!metadata) throw new GatewayError('CONFIG_INVALID', `@${decorator}: this compiler passes no decorator metadata`)
    const own = Object.hasOwn(metadata, kMembers) ? (metadata[kMembers] as MemberRecord[]) : (metadata[kMembers] = [])
    ;(own as MemberRecord[]).push(make(key, get))
    return
  }
  const [target, key] = args as [unknown, PropertyKey | undefined]
  if (typeof target === 'function') throw new GatewayError('CONFIG_INVALID', `@${decorator} cannot decorate the static member ${String(key)}`)
  if (typeof target !== 'object' || target === null || key === undefined) {
    throw new GatewayError('CONFIG_INVALID', `@${decorator} decorates methods and fields`)
  }
  const ctor = (target as { constructor: Function }).constructor
  let list = legacyMembers.get(ctor)
  if (!list) legacyMembers.set(ctor, (list = []))
  list.push(make(key, (instance) => (instance as Record<PropertyKey, unknown>)[key]))
}

/** The record of a class, created on first use (class decorators of either shape receive the class first). */
export function classRecord(target: Function): ClassRecord {
  let record = classRecords.get(target)
  if (!record) classRecords.set(target, (record = { connectionGuards: [] }))
  return record
}

/** The class a class-decorator call applies to, in either shape. */
export function decoratedClass(decorator: string, args: readonly unknown[]): Function {
  const target = args[0]
  if (isStandardCall(args) && args[1].kind !== 'class') {
    throw new GatewayError('CONFIG_INVALID', `@${decorator} decorates classes, not a ${args[1].kind}`)
  }
  if (typeof target !== 'function') throw new GatewayError('CONFIG_INVALID', `@${decorator} decorates classes`)
  return target
}

/** Member records a class declares itself (not inherited), in declaration order. */
export function ownMemberRecords(ctor: Function): readonly MemberRecord[] {
  const legacy = legacyMembers.get(ctor) ?? []
  const metadata = Object.hasOwn(ctor, METADATA)
    ? (ctor as unknown as Record<symbol, Record<PropertyKey, unknown> | undefined>)[METADATA]
    : undefined
  const standard = metadata && Object.hasOwn(metadata, kMembers) ? (metadata[kMembers] as MemberRecord[]) : []
  return legacy.length === 0 ? standard : standard.length === 0 ? legacy : [...legacy, ...standard]
}

/** The class record of a class itself, if any. */
export function ownClassRecord(ctor: Function): ClassRecord | undefined {
  return classRecords.get(ctor)
}
