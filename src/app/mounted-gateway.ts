import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { GatewayError, isWireSafe } from '../errors/gateway-error.js'
import { errorCodeInfo } from '../errors/error-codes.js'
import { Connection } from '../connection/connection.js'
import type { ConnectionRuntime } from '../connection/connection-runtime.js'
import type { GatewayDefinition } from '../definition/gateway-definition.js'
import type { Dispatcher } from '../dispatch/dispatcher.js'
import type { ConnectionGuard } from '../dispatch/guards.js'
import { RouteTable } from '../dispatch/route-table.js'
import { loggableError, type Logger } from '../logging/logger.js'
import type { ResolvedOptions } from '../options/gateway-options.js'
import { helloFrame, PROTOCOL } from '../protocol/hello.js'
import type { NamespaceRegistry } from '../registry/namespace-registry.js'
import type { AddressLimiter } from '../transport/address-limiter.js'
import { createHandshakeContext, type HandshakeContext } from '../transport/handshake-context.js'
import { isOriginAllowed } from '../transport/origin-policy.js'
import { rejectUpgrade } from '../transport/reject-upgrade.js'
import { SessionExpiry } from '../transport/session-expiry.js'
import type { UpgradeTarget } from '../transport/upgrade-router.js'

const RETRY_LATER: Readonly<Record<string, string>> = Object.freeze({ 'Retry-After': '1' })

/** What a mounted gateway needs from its app. */
export interface GatewayHost {
  readonly options: ResolvedOptions
  readonly logger: Logger
  readonly dispatcher: Dispatcher
  readonly draining: boolean
  /** Per-address socket counts shared by the app's gateways, when `maxConnectionsPerAddress` is set. */
  readonly addressLimiter: AddressLimiter | undefined
  nextConnectionId(): string
  opened(connection: Connection): void
  closedConnection(connection: Connection): void
}

/**
 * One gateway mounted at its path: the upgrade pipeline (origin → connection
 * guards → context capture → upgrade) and what its connections share.
 */
export class MountedGateway implements UpgradeTarget, ConnectionRuntime {
  readonly routes: RouteTable
  readonly ambient: boolean
  readonly #host: GatewayHost
  readonly #wss: WebSocketServer
  readonly #guards: readonly ConnectionGuard[]
  readonly #expiry: SessionExpiry | undefined

  constructor(
    host: GatewayHost,
    readonly definition: GatewayDefinition,
    readonly registry: NamespaceRegistry<Connection>,
  ) {
    this.#host = host
    const { options } = host
    this.#guards = [...new Set([...options.connectionGuards, ...definition.connectionGuards])]
    // Only connection guards produce principals, so only then can credentials expire.
    this.#expiry = options.sessionExpiry && this.#guards.length > 0 ? new SessionExpiry(options.sessionExpiry, options.logger) : undefined
    this.routes = new RouteTable(definition, this.#expiry ? [this.#expiry.guard, ...options.messageGuards] : options.messageGuards)
    this.ambient = options.context !== undefined
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.limits.maxPayload,
      maxFragments: options.limits.maxFragments,
      maxBufferedChunks: options.limits.maxBufferedChunks,
      closeTimeout: options.closeTimeoutMs,
      // Echo gangway's protocol when offered, never anything else (a token riding the header, say).
      handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
    } as ConstructorParameters<typeof WebSocketServer>[0])
  }

  get options(): ResolvedOptions {
    return this.#host.options
  }

  get logger(): Logger {
    return this.#host.logger
  }

  get dispatcher(): Dispatcher {
    return this.#host.dispatcher
  }

  get draining(): boolean {
    return this.#host.draining
  }

  get rejectUnknownPaths(): boolean {
    return this.#host.options.rejectUnknownPaths
  }

  opened(connection: Connection): void {
    this.#host.opened(connection)
  }

  closedConnection(connection: Connection): void {
    this.#host.closedConnection(connection)
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, path: string, rawQuery: string): void {
    if (this.draining) return this.#reject(socket, 503)
    const { options } = this.#host
    const address = this.#clientAddress(request)
    // First and cheapest: a flood from one address is refused before anything else runs.
    const limiter = this.#host.addressLimiter
    if (limiter !== undefined && address !== undefined && !limiter.tryAcquire(address, socket)) {
      this.logger.debug({ path, remoteAddress: address }, 'upgrade rejected: too many connections from this address')
      return this.#reject(socket, 429, RETRY_LATER)
    }
    if (!isOriginAllowed(options.origins, options.allowMissingOrigin, request)) {
      this.logger.info({ origin: request.headers.origin, path, remoteAddress: address }, 'upgrade rejected: origin not allowed')
      return this.#reject(socket, 403)
    }
    const handshake = createHandshakeContext(request, path, rawQuery, this.definition, address)
    this.#admitInTime(handshake).then(
      (status) => {
        if (status !== 0) return this.#reject(socket, status)
        const deadline = this.#expiry?.deadlineOf(handshake.user)
        if (deadline !== undefined && deadline <= Date.now()) {
          this.logger.info({ path, remoteAddress: address }, 'upgrade rejected: credentials already expired')
          return this.#reject(socket, 401)
        }
        if (socket.destroyed) return
        if (this.draining) return this.#reject(socket, 503)
        let context: unknown
        try {
          context = options.context?.(handshake)
        } catch (err) {
          this.logger.error({ path, remoteAddress: request.socket.remoteAddress, err: loggableError(err) }, 'context capture failed')
          return this.#reject(socket, 500)
        }
        this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, socket, handshake.user, context, address, deadline))
      },
      (err: unknown) => {
        this.logger.error({ path, remoteAddress: request.socket.remoteAddress, err: loggableError(err) }, 'upgrade failed')
        this.#reject(socket, 500)
      },
    )
  }

  #reject(socket: Duplex, status: number, headers?: Readonly<Record<string, string>>): void {
    this.#host.options.observer?.upgradeRejected?.(this.definition.path, status)
    rejectUpgrade(socket, status, headers)
  }

  #clientAddress(request: IncomingMessage): string | undefined {
    try {
      return this.#host.options.clientAddress(request) ?? request.socket.remoteAddress
    } catch (err) {
      this.logger.error({ err }, 'the clientAddress option threw; using the TCP peer address')
      return request.socket.remoteAddress
    }
  }

  /** Runs the guards, answering 503 if they take longer than `handshakeTimeoutMs` (an auth service that hangs). */
  #admitInTime(handshake: HandshakeContext & { user: unknown }): Promise<number> {
    if (this.#guards.length === 0) return Promise.resolve(0)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn({ path: handshake.path, remoteAddress: handshake.ip }, 'connection guards timed out')
        resolve(503)
      }, this.#host.options.handshakeTimeoutMs)
    })
    return Promise.race([this.#admit(handshake), timeout]).finally(() => clearTimeout(timer))
  }

  /** Runs the connection guards; resolves 0 to accept or the HTTP status to reject with. */
  async #admit(handshake: HandshakeContext & { user: unknown }): Promise<number> {
    for (const guard of this.#guards) {
      let verdict: unknown
      try {
        verdict = await guard(handshake)
      } catch (err) {
        if (isWireSafe(err) || (err instanceof GatewayError && err.status !== undefined)) {
          const status = (err as GatewayError).status ?? errorCodeInfo(err.code)?.status ?? 403
          this.logger.info({ path: handshake.path, code: err.code, remoteAddress: handshake.ip }, 'upgrade rejected by a connection guard')
          return status >= 400 && status < 600 ? status : 403
        }
        this.logger.error({ path: handshake.path, remoteAddress: handshake.ip, err: loggableError(err) }, 'connection guard failed')
        return 500
      }
      if (verdict === true) continue
      if (verdict === false) return 403
      if (verdict === undefined || verdict === null) return 401
      handshake.user = verdict
    }
    return 0
  }

  #accept(ws: WebSocket, socket: Duplex, user: unknown, context: unknown, address: string | undefined, deadline: number | undefined): void {
    const { options } = this.#host
    const connection = new Connection(
      {
        id: this.#host.nextConnectionId(),
        ws,
        socket,
        user,
        userId: user === undefined ? undefined : options.userId(user),
        context,
        remoteAddress: address,
      },
      this,
    )
    this.#expiry?.watch(connection, socket, deadline)
    connection.open(options.hello ? helloFrame(connection, this.routes, options) : undefined)
  }

  /** Closes the ws server object (connections are closed by the app). */
  close(): void {
    this.#wss.close()
  }
}
