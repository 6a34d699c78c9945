import type { Client, ClusterAnswer, ClusterQueryOptions, DisconnectOptions, Server } from '../contracts/client-server.js'
import type { HistoryPage, HistoryQuery } from '../contracts/history.js'
import type { PresenceMember } from '../contracts/presence.js'
import { GatewayError } from '../errors/gateway-error.js'
import { Broadcast } from './broadcast.js'
import { answerLocally, type ClusterQuery, type QueryValue } from './namespace-adapter.js'
import type { NamespaceRegistry } from './namespace-registry.js'
import { groupMembers } from './presence-entry.js'

/** The `Server` of one namespace: its registry plus the broadcast API. */
export class NamespaceServer extends Broadcast implements Server {
  constructor(registry: NamespaceRegistry) {
    super(registry)
  }

  get namespace(): string {
    return this.registry.name
  }

  get size(): number {
    return this.registry.size
  }

  connection(connectionId: string): Client | undefined {
    return this.registry.connection(connectionId) as Client | undefined
  }

  connections(): IterableIterator<Client> {
    return this.registry.connections() as unknown as IterableIterator<Client>
  }

  roomSize(room: string): number {
    return this.registry.roomSize(room)
  }

  disconnectUser(userId: string, code = 1008, reason = 'Disconnected'): number {
    const connections = [...this.registry.userConnections(userId)] as unknown as Client[]
    for (const connection of connections) connection.close(code, reason)
    return connections.length
  }

  fetchRoomSize(room: string, options: ClusterQueryOptions = {}): Promise<ClusterAnswer<number>> {
    return this.#query({ kind: 'roomSize', room: nonEmpty('room', room) }, options)
  }

  fetchRoomMembers(room: string, options: ClusterQueryOptions = {}): Promise<ClusterAnswer<string[]>> {
    return this.#query({ kind: 'roomMembers', room: nonEmpty('room', room) }, options)
  }

  disconnectUserEverywhere(userId: string, options: DisconnectOptions = {}): Promise<ClusterAnswer<number>> {
    const query = { kind: 'disconnectUser', userId: nonEmpty('user id', userId), code: options.code ?? 1008, reason: options.reason ?? 'Disconnected' } as const
    return this.#query(query, options)
  }

  async presence(room: string, options: ClusterQueryOptions = {}): Promise<ClusterAnswer<PresenceMember[]>> {
    const answer = await this.#query({ kind: 'presence', room: nonEmpty('room', room) }, options)
    return { ...answer, value: groupMembers(answer.value) }
  }

  history(room: string, options: HistoryQuery = {}): Promise<HistoryPage> {
    const checked = nonEmpty('room', room)
    const { history } = this.registry
    if (history === undefined) return Promise.reject(new GatewayError('HISTORY_OFF', `Room ${JSON.stringify(room)} has no history: the app has no history option`))
    return history.read(checked, options)
  }

  async #query<Q extends ClusterQuery>(query: Q, options: ClusterQueryOptions): Promise<ClusterAnswer<QueryValue<Q>>> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new GatewayError('INVALID_ARGUMENT', 'timeoutMs must be a positive number')
    const { adapter } = this.registry
    if (adapter.query) return adapter.query(query, timeoutMs)
    return { value: answerLocally(this.registry, query), nodes: [this.registry.nodeId], missing: [], complete: true }
  }
}

/** How long a cross-node query waits for answers by default. */
export const DEFAULT_QUERY_TIMEOUT_MS = 2000

function nonEmpty(what: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new GatewayError('INVALID_ARGUMENT', `Expected a ${what}`)
  return value
}
