import { exploreGateway, GatewayBuilder, GatewayError } from '../index.js'
import type { GatewayClass } from './gangway-module-options.js'

/** The parts of Nest's `InstanceWrapper` discovery relies on (stable since Nest 8). */
export interface ProviderWrapper {
  readonly name?: unknown
  readonly metatype: Function | null | undefined
  readonly instance: unknown
  readonly isTransient?: boolean
  readonly host?: { readonly metatype?: { readonly name?: string } | null } | null
  isDependencyTreeStatic(): boolean
}

/** One gateway found in the container, with the modules that provide it. */
export interface DiscoveredGateway {
  readonly instance: object
  readonly className: string
  readonly modules: readonly string[]
}

/**
 * Finds the gateways among Nest's providers. The same instance reached through
 * several modules (imports, re-exports, `useExisting` aliases) counts once. Two
 * distinct instances of one gateway class — the class listed in the `providers`
 * of two modules, so Nest builds it twice — is refused here: mounting both would
 * handle every connection twice, and whichever copy another service had injected
 * would see none of the connections.
 */
export function discoverGateways(wrappers: Iterable<ProviderWrapper>, only?: readonly GatewayClass[]): DiscoveredGateway[] {
  const byInstance = new Map<object, { className: string; modules: string[] }>()
  for (const wrapper of wrappers) {
    const moduleName = wrapper.host?.metatype?.name ?? 'an unnamed module'
    if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
      if (typeof wrapper.metatype === 'function' && isGatewayClass(wrapper.metatype)) {
        throw new GatewayError(
          'CONFIG_INVALID',
          `${wrapper.metatype.name} in ${moduleName} is request-scoped or transient (or depends on such a provider): a gateway holds connections for the life of the app, so it must be a default-scoped singleton`,
        )
      }
      continue
    }
    const instance = wrapper.instance
    if (typeof instance !== 'object' || instance === null || !isGatewayInstance(instance)) continue
    const entry = byInstance.get(instance)
    if (entry) {
      if (!entry.modules.includes(moduleName)) entry.modules.push(moduleName)
    } else {
      byInstance.set(instance, { className: instance.constructor?.name || 'anonymous gateway', modules: [moduleName] })
    }
  }

  const byClass = new Map<Function, DiscoveredGateway[]>()
  const found: DiscoveredGateway[] = []
  for (const [instance, { className, modules }] of byInstance) {
    const gateway = { instance, className, modules }
    found.push(gateway)
    if (instance instanceof GatewayBuilder) continue // builders are values: two of them are two gateways
    const list = byClass.get(instance.constructor) ?? []
    list.push(gateway)
    byClass.set(instance.constructor, list)
  }
  for (const [ctor, list] of byClass) {
    if (list.length > 1) {
      const where = list.map((g) => g.modules.join(', ')).join(' and ')
      throw new GatewayError(
        'CONFIG_INVALID',
        `${ctor.name} is listed in the providers of ${where}, so Nest built ${list.length} instances and every connection would be handled ${list.length} times. ` +
          `List it in the providers of one module, add it to that module's exports, and import that module wherever ${ctor.name} is injected.`,
      )
    }
  }

  if (only === undefined) return found
  return only.map((wanted) => {
    if (typeof wanted !== 'function') throw new GatewayError('CONFIG_INVALID', 'Option "gateways" must list gateway classes')
    if (!isGatewayClass(wanted)) throw new GatewayError('CONFIG_INVALID', `${wanted.name} is not a gateway: decorate it with @Gateway({ path })`)
    const match = found.find((g) => g.instance instanceof wanted)
    if (!match) {
      throw new GatewayError('CONFIG_INVALID', `${wanted.name} is listed in GangwayModule's "gateways" but no module provides it: add it to the providers of the module it belongs to`)
    }
    return match
  })
}

function isGatewayInstance(instance: object): boolean {
  return instance instanceof GatewayBuilder || exploreGateway(instance) !== undefined
}

/**
 * Whether a class carries `@Gateway`, without building it: the explorer reads
 * the class chain's records before it touches any member, so a bare prototype
 * is enough to tell (exploring one throws only for a decorated class whose
 * handlers are fields, which exist on instances alone).
 */
export function isGatewayClass(ctor: Function): boolean {
  if (typeof ctor.prototype !== 'object' || ctor.prototype === null) return false
  try {
    return exploreGateway(Object.create(ctor.prototype)) !== undefined
  } catch {
    return true
  }
}
