import { GatewayError } from '../errors/gateway-error.js'
import type { AnyMessageGuard, ConnectionGuard, MessageGuard } from '../contracts/guards.js'
import { classRecord, decoratedClass, isStandardCall, recordMember } from './decorator-metadata.js'

/** `@UseGuards` fits classes and members, in either decorator shape. */
export interface DualGuardDecorator {
  (value: unknown, context: ClassDecoratorContext | ClassMethodDecoratorContext | ClassFieldDecoratorContext): void
  (target: object, propertyKey?: string | symbol, descriptor?: PropertyDescriptor): void
}

/**
 * Declare guards as typed constants (`const auth: ConnectionGuard = ...`): an inline
 * arrow here cannot be typed, since the same decorator takes both kinds.
 *
 * On a gateway class: connection guards, run on the upgrade request (see
 * `ConnectionGuard`). On a handler: per-message guards for that handler (see
 * `MessageGuard`), run after the global and gateway ones.
 *
 * @example
 * @Gateway({ path: '/admin' })
 * @UseGuards(requireToken)
 * class AdminGateway {
 *   @Subscribe('purge') @UseGuards(isAdmin) purge() {}
 * }
 */
export function UseGuards(...guards: ReadonlyArray<ConnectionGuard | AnyMessageGuard>): DualGuardDecorator {
  if (guards.some((g) => typeof g !== 'function')) throw new GatewayError('CONFIG_INVALID', '@UseGuards takes guard functions')
  const list = Object.freeze([...guards])
  return ((...args: unknown[]) => {
    const onClass = isStandardCall(args) ? args[1].kind === 'class' : args.length === 1 || typeof args[0] === 'function' && args[1] === undefined
    if (onClass) {
      classRecord(decoratedClass('UseGuards', args)).connectionGuards.push(...(list as ConnectionGuard[]))
    } else {
      recordMember('UseGuards', args, (key) => ({ kind: 'guards', key, guards: list as readonly MessageGuard[] }))
    }
  }) as DualGuardDecorator
}
