import type { Client } from '../connection/client.js'
import { Broadcast } from './broadcast.js'
import type { NamespaceRegistry } from './namespace-registry.js'
import type { Server } from './server.js'

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
}
