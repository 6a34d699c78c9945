import type { BroadcastTarget } from '../registry/namespace-adapter.js'
import { GatewayError } from '../errors/gateway-error.js'
import type { PushRecord } from './bridge-records.js'
import type { Transport } from './transport.js'

/**
 * Pushes to gateway connections from any process that holds a transport (a
 * microservice, a cron job), with the same chaining as `server.to(room)`.
 *
 * Routing: a push addressed only to connection ids goes to the inbox of the
 * node that owns each connection (the node id is the part of a connection id
 * before its first `-`). A push to users, rooms or everyone goes to every
 * gateway node once, and each node delivers it to its own local members —
 * never re-broadcast through a cluster adapter, so nobody gets it twice.
 */
export interface RemotePushOperator {
  /** Adds the members of rooms. */
  to(room: string | readonly string[]): RemotePushOperator
  /** Adds every connection of users. */
  toUser(userId: string | readonly string[]): RemotePushOperator
  /** Adds connections by id. */
  toConnection(connectionId: string | readonly string[]): RemotePushOperator
  /** Excludes the members of rooms, or connections (`{ id }`). */
  except(roomOrConnection: string | readonly string[] | { readonly id: string }): RemotePushOperator
  /**
   * Sends `{ event, data }` to every target (to the whole namespace when no
   * target was added). At most once: a push in flight when a broker connection
   * drops may be lost. Throws `INVALID_ARGUMENT` if `data` is not JSON.
   */
  emit(event: string, data?: unknown): void
}

const EVERYONE: BroadcastTarget = Object.freeze({ rooms: [], users: [], connections: [], exceptRooms: [], exceptConnections: [] })

export class RemotePush implements RemotePushOperator {
  constructor(
    private readonly transport: Transport,
    private readonly namespace: string,
    private readonly target: BroadcastTarget = EVERYONE,
  ) {}

  to(room: string | readonly string[]): RemotePushOperator {
    return this.#with({ rooms: [...this.target.rooms, ...list('room', room)] })
  }

  toUser(userId: string | readonly string[]): RemotePushOperator {
    return this.#with({ users: [...this.target.users, ...list('user id', userId)] })
  }

  toConnection(connectionId: string | readonly string[]): RemotePushOperator {
    return this.#with({ connections: [...this.target.connections, ...list('connection id', connectionId)] })
  }

  except(roomOrConnection: string | readonly string[] | { readonly id: string }): RemotePushOperator {
    if (typeof roomOrConnection === 'object' && !Array.isArray(roomOrConnection)) {
      return this.#with({ exceptConnections: [...this.target.exceptConnections, ...list('connection id', (roomOrConnection as { id: string }).id)] })
    }
    return this.#with({ exceptRooms: [...this.target.exceptRooms, ...list('room', roomOrConnection as string | readonly string[])] })
  }

  emit(event: string, data?: unknown): void {
    if (typeof event !== 'string' || event.length === 0) throw new GatewayError('INVALID_ARGUMENT', 'An event name must be a non-empty string')
    const { target } = this
    try {
      if (target.rooms.length === 0 && target.users.length === 0 && target.connections.length > 0) {
        for (const [node, connections] of byNode(target.connections)) {
          const record: PushRecord = { t: 'p', n: this.namespace, g: { ...target, connections }, e: event, d: data ?? null }
          this.transport.sendToInbox(node, record)
        }
        return
      }
      this.transport.broadcast({ t: 'p', n: this.namespace, g: target, e: event, d: data ?? null })
    } catch (cause) {
      throw new GatewayError('INVALID_ARGUMENT', `The data of "${event}" cannot be serialized to JSON`, { cause })
    }
  }

  #with(change: Partial<BroadcastTarget>): RemotePushOperator {
    return new RemotePush(this.transport, this.namespace, Object.freeze({ ...this.target, ...change }))
  }
}

/** The node a connection id belongs to: connection ids are `<nodeId>-<counter>`. */
export function nodeOfConnection(connectionId: string): string | undefined {
  const dash = connectionId.indexOf('-')
  return dash > 0 ? connectionId.slice(0, dash) : undefined
}

function byNode(connections: readonly string[]): Map<string, string[]> {
  const nodes = new Map<string, string[]>()
  for (const id of connections) {
    const node = nodeOfConnection(id)
    if (node === undefined) continue
    let ids = nodes.get(node)
    if (!ids) nodes.set(node, (ids = []))
    ids.push(id)
  }
  return nodes
}

function list(what: string, value: string | readonly string[]): readonly string[] {
  const values = typeof value === 'string' ? [value] : value
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new GatewayError('INVALID_ARGUMENT', `Expected a ${what} or an array of them`)
  }
  return values
}
