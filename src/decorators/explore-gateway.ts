import { GatewayError } from '../errors/gateway-error.js'
import { buildDefinition, handlerDefinition } from '../definition/define-gateway.js'
import type { GatewayConfig, GatewayDefinition, HandlerDefinition } from '../definition/gateway-definition.js'
import type { LifecycleHook } from '../contracts/handler.js'
import { dedupeGuards } from '../dispatch/dedupe-guards.js'
import type { ConnectionGuard, MessageGuard } from '../contracts/guards.js'
import { forwardBindingOf } from '../bridge/forward.js'
import { type MemberRecord, ownClassRecord, ownMemberRecords } from './decorator-metadata.js'
/**
 * Turns an instance of a decorated class into a plain gateway definition.
 * Records are collected from the whole class chain, base class first; a
 * subclass's `@Gateway` config wins and its handlers replace inherited ones
 * for the same event. Returns `undefined` when the class carries no `@Gateway`.
 *
 * `describeOnly` reads a class from its bare prototype, for documentation:
 * field handlers (`ask = forward(...)`) exist only on constructed instances,
 * so each becomes a stub that throws if it is ever called.
 */
export function exploreGateway(instance: object, { describeOnly = false }: { describeOnly?: boolean } = {}): GatewayDefinition | undefined {
  const chain: Function[] = []
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (Object.hasOwn(proto, 'constructor') && typeof proto.constructor === 'function') chain.unshift(proto.constructor)
  }
  let config: GatewayConfig | undefined
  const connectionGuards: ConnectionGuard[] = []
  const records: MemberRecord[] = []
  for (const ctor of chain) {
    const classRecord = ownClassRecord(ctor)
    if (classRecord?.config) config = classRecord.config
    if (classRecord) connectionGuards.push(...classRecord.connectionGuards)
    records.push(...ownMemberRecords(ctor))
  }
  if (!config) return undefined

  const memberGuards = new Map<PropertyKey, MessageGuard[]>()
  for (const record of records) {
    if (record.kind === 'guards') memberGuards.set(record.key, [...(memberGuards.get(record.key) ?? []), ...record.guards])
  }
  const byEvent = new Map<string, HandlerDefinition>()
  const onConnect: LifecycleHook[] = []
  const onDisconnect: LifecycleHook[] = []
  for (const record of records) {
    if (record.kind === 'guards') continue
    const fn = record.get(instance) ?? (describeOnly && record.kind === 'subscribe' ? describeOnlyStub(config.name ?? config.path, record.key) : undefined)
    if (typeof fn !== 'function') {
      throw new GatewayError('CONFIG_INVALID', `${config.name}.${String(record.key)} is decorated with @${decoratorName(record.kind)} but is not a function`)
    }
    // forward() handlers carry their binding on the function itself and never use `this`.
    const bound = (forwardBindingOf(fn) ? fn : fn.bind(instance)) as (...args: unknown[]) => unknown
    if (record.kind === 'subscribe') {
      const guards = dedupeGuards(record.options.guards, memberGuards.get(record.key))
      byEvent.set(record.event, handlerDefinition(record.event, bound, { ...record.options, guards }))
    } else {
      ;(record.kind === 'onConnect' ? onConnect : onDisconnect).push(bound)
    }
  }
  return buildDefinition(
    { ...config, connectionGuards: dedupeGuards(config.connectionGuards, connectionGuards) },
    [...byEvent.values()],
    onConnect,
    onDisconnect,
  )
}

function describeOnlyStub(gateway: string, key: PropertyKey): () => never {
  return () => {
    throw new GatewayError('CONFIG_INVALID', `${gateway}.${String(key)} was read for documentation only; mount an instance to run it`)
  }
}

function decoratorName(kind: MemberRecord['kind']): string {
  return kind === 'subscribe' ? 'Subscribe' : kind === 'onConnect' ? 'OnConnect' : kind === 'onDisconnect' ? 'OnDisconnect' : 'UseGuards'
}
