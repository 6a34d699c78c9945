import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { Duplex } from 'node:stream'
import { GatewayError } from '../errors/gateway-error.js'
import { normalizePath } from '../definition/gateway-definition.js'
import { rejectUpgrade } from './reject-upgrade.js'

/** Something mounted at a path that takes upgrade requests. */
export interface UpgradeTarget {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, path: string, rawQuery: string): void
  /** Whether unmounted paths should get 404 (each app has a say). */
  readonly rejectUnknownPaths: boolean
}

const routers = new WeakMap<HttpServer, UpgradeRouter>()

/**
 * The one `upgrade` listener gangway puts on an HTTP(S) server, shared by every
 * app and gateway attached to it, routing by path. Unknown paths get 404 before
 * any upgrade — unless another `upgrade` listener exists on the server (a dev
 * server, another library), which may own them.
 */
export class UpgradeRouter {
  readonly #targets = new Map<string, UpgradeTarget>()
  readonly #listener = (request: IncomingMessage, socket: Duplex, head: Buffer) => this.#route(request, socket, head)

  private constructor(private readonly server: HttpServer) {
    server.on('upgrade', this.#listener)
  }

  /** The router of a server, created on first use. */
  static for(server: HttpServer): UpgradeRouter {
    let router = routers.get(server)
    if (!router) routers.set(server, (router = new UpgradeRouter(server)))
    return router
  }

  mount(path: string, target: UpgradeTarget): void {
    if (this.#targets.has(path)) throw new GatewayError('CONFIG_INVALID', `A gateway is already mounted at ${path} on this server`)
    this.#targets.set(path, target)
  }

  unmount(path: string, target: UpgradeTarget): void {
    if (this.#targets.get(path) !== target) return
    this.#targets.delete(path)
    if (this.#targets.size === 0) {
      this.server.off('upgrade', this.#listener)
      routers.delete(this.server)
    }
  }

  #route(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // An unhandled 'error' on a raw socket would crash the process.
    socket.on('error', ignoreSocketError)
    const url = request.url ?? '/'
    const q = url.indexOf('?')
    const path = normalizePath(q === -1 ? url : url.slice(0, q))
    const target = this.#targets.get(path)
    if (target) return target.handleUpgrade(request, socket, head, path, q === -1 ? '' : url.slice(q + 1))
    if (this.server.listenerCount('upgrade') > 1) return
    if ([...this.#targets.values()].every((t) => t.rejectUnknownPaths)) rejectUpgrade(socket, 404)
  }
}

function ignoreSocketError(): void {}
