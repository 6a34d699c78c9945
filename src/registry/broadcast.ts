import { GatewayError } from '../errors/gateway-error.js'
import type { BroadcastTarget } from './namespace-adapter.js'
import type { BroadcastOperator, Client } from '../contracts/client-server.js'
import { encodeEvent } from '../protocol/frames.js'
import type { TextFrame } from '../protocol/text-frame.js'
import type { NamespaceRegistry } from './namespace-registry.js'

const NO_TARGET: BroadcastTarget = Object.freeze({
  rooms: [],
  users: [],
  connections: [],
  exceptRooms: [],
  exceptConnections: [],
})

/** An immutable set of targets; each chained call returns a new operator. */
export class Broadcast implements BroadcastOperator {
  constructor(
    protected readonly registry: NamespaceRegistry,
    protected readonly target: BroadcastTarget = NO_TARGET,
  ) {}

  to(room: string | readonly string[]): BroadcastOperator {
    return this.#with({ rooms: [...this.target.rooms, ...list('room', room)] })
  }

  toUser(userId: string | readonly string[]): BroadcastOperator {
    return this.#with({ users: [...this.target.users, ...list('user id', userId)] })
  }

  toConnection(connectionId: string | readonly string[]): BroadcastOperator {
    return this.#with({ connections: [...this.target.connections, ...list('connection id', connectionId)] })
  }

  except(roomOrClient: string | readonly string[] | Client): BroadcastOperator {
    if (typeof roomOrClient === 'object' && roomOrClient !== null && !Array.isArray(roomOrClient)) {
      return this.#with({ exceptConnections: [...this.target.exceptConnections, (roomOrClient as Client).id] })
    }
    return this.#with({ exceptRooms: [...this.target.exceptRooms, ...list('room', roomOrClient as string | readonly string[])] })
  }

  emit(event: string, data?: unknown): void {
    const { history } = this.registry
    // Rooms with history are appended to their stream; the rest goes out as before.
    const target = history === undefined ? this.target : history.route(this.target, event, data)
    if (target !== undefined) this.registry.adapter.broadcast(target, encodePush(event, data))
  }

  localConnectionIds(): string[] {
    return this.registry.localTargetIds(this.target)
  }

  #with(change: Partial<BroadcastTarget>): BroadcastOperator {
    return new Broadcast(this.registry, Object.freeze({ ...this.target, ...change }))
  }
}

/** Serializes a push's data once, with a coded error for a bad event name or unserializable data. */
export function serializePush(event: string, data: unknown): string {
  if (typeof event !== 'string' || event.length === 0) {
    throw new GatewayError('INVALID_ARGUMENT', 'An event name must be a non-empty string')
  }
  try {
    return JSON.stringify(data) ?? 'null'
  } catch (cause) {
    throw new GatewayError('INVALID_ARGUMENT', `The data of "${event}" cannot be serialized to JSON`, { cause })
  }
}

/** Encodes a push once, with a coded error for a bad event name or unserializable data. */
export function encodePush(event: string, data: unknown): TextFrame {
  if (typeof event !== 'string' || event.length === 0) {
    throw new GatewayError('INVALID_ARGUMENT', 'An event name must be a non-empty string')
  }
  try {
    return encodeEvent(event, data)
  } catch (cause) {
    throw new GatewayError('INVALID_ARGUMENT', `The data of "${event}" cannot be serialized to JSON`, { cause })
  }
}

function list(what: string, value: string | readonly string[]): readonly string[] {
  const values = typeof value === 'string' ? [value] : value
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new GatewayError('INVALID_ARGUMENT', `Expected a ${what} or an array of them`)
  }
  return values
}
