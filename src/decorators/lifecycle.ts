import { recordMember } from './decorator-metadata.js'
import type { DualMemberDecorator } from './subscribe.js'

/** Runs the method after a connection is registered; `(client)`; awaited. */
export function OnConnect(): DualMemberDecorator {
  return ((...args: unknown[]) => {
    recordMember('OnConnect', args, (key, get) => ({ kind: 'onConnect', key, get }))
  }) as DualMemberDecorator
}

/** Runs the method when a connection closes, while it is still registered; `(client)`; awaited. */
export function OnDisconnect(): DualMemberDecorator {
  return ((...args: unknown[]) => {
    recordMember('OnDisconnect', args, (key, get) => ({ kind: 'onDisconnect', key, get }))
  }) as DualMemberDecorator
}
