import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import type { Client, JoinOptions, Server } from '../contracts/client-server.js'
import type { CancellableRequests, LifecycleHook } from '../contracts/handler.js'
import { runWithClient } from '../dispatch/ambient-context.js'
import type { Dispatcher, DispatchTarget } from '../dispatch/dispatcher.js'
import type { RouteTable } from '../dispatch/route-table.js'
import { loggableError, type Logger } from '../logging/logger.js'
import type { GatewayObserver } from '../observability/gateway-observer.js'
import { CANCEL_EVENT, encodePong, PING_EVENT } from '../protocol/control-events.js'
import { type EnvelopeLimits, isEnvelopeFailure, parseEnvelope, type RequestId } from '../protocol/envelope.js'
import { encodeError } from '../protocol/frames.js'
import type { TextFrame } from '../protocol/text-frame.js'
import { encodePush } from '../registry/broadcast.js'
import type { NamespaceRegistry, RegisteredConnection } from '../registry/namespace-registry.js'
import type { ResolvedOutboxOptions, ResolvedRateLimitOptions } from './connection-options.js'
import { scheduleFlush } from './flush-scheduler.js'
import { safeClose } from './safe-close.js'
import { TokenBucket } from './token-bucket.js'

const OPEN = 1
const kConnection = Symbol('gangway.connection')
type Tagged<T> = T & { [kConnection]?: Connection }

const enum State {
  Open,
  Closing,
  Closed,
}

/** What the gateway app does for its connections, and the one setting read live. */
export interface ConnectionHost {
  /** True once the app is shutting down: new frames are answered `UNAVAILABLE`. */
  readonly draining: boolean
  opened(connection: Connection): void
  closed(connection: Connection): void
}

/**
 * What a connection reports of its lifecycle, for gateways that publish
 * connection events to services. Called after the fact; never awaited.
 */
export interface ConnectionEventSink {
  opened(client: Client): void
  closed(client: Client, code: number, reason: string): void
  joined(client: Client, room: string): void
  left(client: Client, room: string): void
}

/**
 * What every connection of one mounted gateway is made with: built once at
 * mount and frozen. Only `host.draining` changes while connections live.
 */
export interface ConnectionSettings {
  /** The gateway's path (the label of the observer's figures). */
  readonly path: string
  readonly registry: NamespaceRegistry<Connection>
  readonly routes: RouteTable
  readonly dispatcher: Dispatcher
  readonly onConnect: readonly LifecycleHook[]
  readonly onDisconnect: readonly LifecycleHook[]
  readonly limits: EnvelopeLimits
  readonly outbox: ResolvedOutboxOptions
  readonly rateLimit: ResolvedRateLimitOptions | false
  readonly closeTimeoutMs: number
  readonly observer: GatewayObserver | undefined
  readonly logger: Logger
  /** Whether hooks and dispatch run inside AsyncLocalStorage (the app captures a `context`). */
  readonly ambient: boolean
  readonly host: ConnectionHost
  /** Where lifecycle events go, when the gateway publishes them (`connectionEvents`). */
  readonly events: ConnectionEventSink | undefined
}

/** What one connection is created from. */
export interface ConnectionInit {
  readonly id: string
  readonly ws: WebSocket
  readonly socket: Duplex
  readonly user: unknown
  readonly userId: string | undefined
  readonly context: unknown
  readonly remoteAddress: string | undefined
}

/**
 * One live socket. It reads frames into the dispatcher and writes everything
 * through a bounded outbox: frames queue there and a writer drains them to the
 * socket, coalescing what is ready together into one `writev`. A client that
 * stops reading fills its outbox and is closed; nobody else waits for it.
 */
export class Connection implements Client, DispatchTarget, RegisteredConnection, CancellableRequests {
  readonly id: string
  readonly user: unknown
  readonly userId: string | undefined
  readonly context: unknown
  readonly remoteAddress: string | undefined
  readonly roomSet = new Set<string>()
  /** Cleared by the heartbeat before each ping; set again by a pong or a frame. */
  alive = true

  readonly #settings: ConnectionSettings
  readonly #ws: WebSocket
  readonly #socket: Duplex
  readonly #bucket: TokenBucket | undefined
  readonly #highWaterMark: number
  #state = State.Open
  #data: Record<string, unknown> | undefined
  #queue: TextFrame[] | undefined
  #queuedBytes = 0
  #dirty = false
  #pendingClose: { code: number; reason: string } | undefined
  #closeTimer: NodeJS.Timeout | undefined
  /** Forwarded requests in flight, by id: `$cancel` and the close cancel them. */
  #cancellable: Map<RequestId, (why: 'cancelled' | 'disconnected') => void> | undefined
  /** Waiting for the outbox to empty: a history replay paces itself by it. */
  #drainWaiters: Array<() => void> | undefined

  constructor(init: ConnectionInit, settings: ConnectionSettings) {
    this.id = init.id
    this.user = init.user
    this.userId = init.userId
    this.context = init.context
    this.remoteAddress = init.remoteAddress
    this.#settings = settings
    this.#ws = init.ws
    this.#socket = init.socket
    const { rateLimit, outbox } = settings
    this.#bucket = rateLimit ? new TokenBucket(rateLimit.messagesPerSecond / 1000, rateLimit.burst, rateLimit.closeAfterRejectionsPerSecond) : undefined
    // Stop writing above our mark only once the socket also reports backpressure, so 'drain' is sure to follow.
    this.#highWaterMark = Math.max(outbox.socketHighWaterMark, init.socket.writableHighWaterMark)

    const ws = init.ws as Tagged<WebSocket>
    const socket = init.socket as Tagged<Duplex>
    ws[kConnection] = this
    socket[kConnection] = this
    ws.on('message', onWsMessage)
    ws.on('pong', onWsPong)
    ws.on('error', onWsError)
    ws.on('close', onWsClose)
    socket.on('drain', onSocketDrain)
  }

  get namespace(): string {
    return this.#settings.registry.name
  }

  get path(): string {
    return this.#settings.path
  }

  get server(): Server {
    return this.#settings.registry.server
  }

  get rooms(): ReadonlySet<string> {
    return this.roomSet
  }

  get data(): Record<string, unknown> {
    return (this.#data ??= {})
  }

  get isOpen(): boolean {
    return this.#state === State.Open && this.#ws.readyState === OPEN
  }

  /** Frames queued and not yet handed to the socket. */
  get queuedFrames(): number {
    return this.#queue?.length ?? 0
  }

  /** Resolves once the outbox is empty, or the connection is closing. */
  drained(): Promise<void> {
    if (this.#state !== State.Open || this.queuedFrames === 0) return Promise.resolve()
    return new Promise((resolve) => (this.#drainWaiters ??= []).push(resolve))
  }

  join(room: string, options?: JoinOptions): Promise<void> {
    const { events } = this.#settings
    if (events === undefined) return this.#settings.registry.join(this, room, options)
    const had = this.roomSet.has(room)
    const joined = this.#settings.registry.join(this, room, options)
    if (!had && this.roomSet.has(room)) events.joined(this, room)
    return joined
  }

  leave(room: string): Promise<void> {
    const had = this.roomSet.has(room)
    this.#settings.registry.leave(this, room)
    if (had) this.#settings.events?.left(this, room)
    return Promise.resolve()
  }

  trackRequest(id: RequestId, cancel: (why: 'cancelled' | 'disconnected') => void): () => void {
    if (this.#state === State.Closed) {
      queueMicrotask(() => cancel('disconnected'))
      return noop
    }
    const cancellable = (this.#cancellable ??= new Map())
    cancellable.set(id, cancel)
    return () => {
      if (cancellable.get(id) === cancel) cancellable.delete(id)
    }
  }

  emit(event: string, data?: unknown): boolean {
    return this.send(encodePush(event, data))
  }

  /** Queues a framed message; false if the connection is closing or the outbox overflowed. */
  send(frame: TextFrame): boolean {
    if (this.#state !== State.Open) return false
    const queue = (this.#queue ??= [])
    const { maxFrames, maxBytes } = this.#settings.outbox
    // One frame is always accepted into an empty outbox, however large.
    if (queue.length > 0 && (queue.length >= maxFrames || this.#queuedBytes + frame.length > maxBytes)) {
      return this.#overflow()
    }
    queue.push(frame)
    this.#queuedBytes += frame.length
    if (!this.#dirty) {
      this.#dirty = true
      scheduleFlush(this)
    }
    return true
  }

  /** Writes queued frames while the socket has room; called by the scheduler and on 'drain'. */
  flush(): void {
    this.#dirty = false
    const queue = this.#queue
    if (queue === undefined || queue.length === 0) return this.#finishPendingClose()
    if (this.#ws.readyState !== OPEN) {
      this.#dropQueue()
      return
    }
    const socket = this.#socket
    const mark = this.#highWaterMark
    if (socket.writableLength >= mark) return // 'drain' calls flush again
    let written = 0
    let bytes = 0
    if (queue.length === 1) {
      bytes = queue[0]!.length
      socket.write(queue[0]!)
      written = 1
    } else {
      socket.cork()
      while (written < queue.length && socket.writableLength < mark) {
        const frame = queue[written++]!
        bytes += frame.length
        socket.write(frame)
      }
      socket.uncork()
    }
    if (written === queue.length) queue.length = 0
    else queue.splice(0, written)
    this.#queuedBytes -= bytes
    this.#settings.observer?.framesSent?.(this.#settings.path, written, bytes)
    if (queue.length === 0) this.#finishPendingClose()
  }

  close(code = 1000, reason = ''): void {
    if (this.#state !== State.Open) return
    this.#state = State.Closing
    if (this.queuedFrames > 0 && this.#ws.readyState === OPEN) {
      // Let what was accepted go out first; a client that never reads is cut off.
      this.#pendingClose = { code, reason }
      this.#armCloseTimer()
      return
    }
    this.#closeSocket(code, reason)
  }

  /** Destroys the socket without a closing handshake. */
  terminate(): void {
    this.#state = State.Closing
    this.#dropQueue()
    this.#ws.terminate()
  }

  ping(): void {
    if (this.#ws.readyState !== OPEN) return
    try {
      this.#ws.ping()
    } catch {
      this.terminate()
    }
  }

  /** Registers the connection, sends the hello frame and runs `onConnect` hooks (frames wait until they finish). */
  open(hello: TextFrame | undefined): void {
    const settings = this.#settings
    settings.host.opened(this)
    settings.observer?.connectionOpened?.(settings.path, settings.registry.name)
    settings.logger.debug({ connectionId: this.id, userId: this.userId, path: settings.path, remoteAddress: this.remoteAddress }, 'connection opened')
    const joined = settings.registry.add(this)
    settings.events?.opened(this)
    if (hello) this.send(hello)
    const hooks = settings.onConnect
    if (hooks.length === 0) return
    this.#ws.pause()
    const done = joined.then(() => this.#runHooks(hooks))
    done.then(
      () => this.#ws.resume(),
      (err: unknown) => {
        settings.logger.error({ connectionId: this.id, userId: this.userId, hook: 'onConnect', err: loggableError(err) }, 'onConnect hook failed; closing the connection')
        this.close(1011, 'Internal error')
        this.#ws.resume()
      },
    )
  }

  receive(data: Buffer, isBinary: boolean): void {
    if (this.#state !== State.Open) return
    this.alive = true
    const settings = this.#settings
    settings.observer?.frameReceived?.(settings.path, data.length)
    if (isBinary) {
      if (this.#admit('error', undefined)) this.#reject('error', undefined, 'BAD_FRAME', 'Binary frames are not accepted; send JSON text frames')
      return
    }
    const envelope = parseEnvelope(data.toString(), settings.limits)
    if (isEnvelopeFailure(envelope)) {
      if (this.#admit('error', envelope.id)) this.#reject('error', envelope.id, 'BAD_FRAME', envelope.failure)
      return
    }
    if (!this.#admit(envelope.event, envelope.id)) return
    if (envelope.event === PING_EVENT) {
      // Liveness, answered even while draining: no guard or handler runs. Without an id it only marks the peer alive.
      if (envelope.id !== undefined) this.send(encodePong(null, envelope.id))
      return
    }
    if (envelope.event === CANCEL_EVENT) {
      // No answer of its own: the request it names is answered CANCELLED by its handler's rejection.
      if (envelope.id !== undefined) this.#cancellable?.get(envelope.id)?.('cancelled')
      return
    }
    if (settings.host.draining) {
      this.#reject(envelope.event, envelope.id, 'UNAVAILABLE', 'Server is shutting down')
      return
    }
    // Where the client is in rooms' histories: the handler's client.join(room) replays from there.
    if (envelope.since !== undefined) settings.registry.history?.noteSince(this, envelope.since)
    settings.dispatcher.dispatch(this, settings.routes, envelope)
  }

  /** Answers a frame that never reaches a handler. */
  #reject(event: string, id: string | number | undefined, code: string, message: string): void {
    this.#settings.observer?.rejected?.(this.#settings.path, code)
    this.send(encodeError(event, id, code, message))
  }

  /** Takes a rate-limit token; answers RATE_LIMITED (and closes on sustained abuse) when there is none. */
  #admit(event: string, id: string | number | undefined): boolean {
    const bucket = this.#bucket
    if (bucket === undefined || bucket.take()) return true
    if (bucket.abusive) {
      this.#settings.logger.warn({ connectionId: this.id, userId: this.userId, event, remoteAddress: this.remoteAddress }, 'rate limit exceeded persistently; closing with 1008')
      this.#dropQueue()
      this.#state = State.Closing
      this.#closeSocket(1008, 'Rate limit exceeded')
    } else {
      this.#reject(event, id, 'RATE_LIMITED', 'Too many messages; slow down')
    }
    return false
  }

  #overflow(): false {
    const { logger, observer, outbox, path } = this.#settings
    observer?.outboxOverflow?.(path)
    const details = { connectionId: this.id, userId: this.userId, queuedFrames: this.queuedFrames, queuedBytes: this.#queuedBytes }
    if (outbox.onOverflow === 'drop') {
      logger.warn(details, 'outbox full; dropping a frame for a slow client')
      return false
    }
    logger.warn(details, 'outbox full: the client stopped reading; closing with 1013')
    this.#dropQueue()
    this.#state = State.Closing
    this.#closeSocket(1013, 'Outbox overflow')
    return false
  }

  #finishPendingClose(): void {
    if (this.#drainWaiters !== undefined) this.#wakeDrainWaiters()
    const pending = this.#pendingClose
    if (pending === undefined) return
    this.#pendingClose = undefined
    this.#closeSocket(pending.code, pending.reason)
  }

  #closeSocket(code: number, reason: string): void {
    safeClose(this.#ws, code, reason)
    this.#armCloseTimer()
  }

  #armCloseTimer(): void {
    if (this.#closeTimer !== undefined) return
    // ws waits for the peer's close frame; a peer that is not reading never sends one.
    this.#closeTimer = setTimeout(() => this.terminate(), this.#settings.closeTimeoutMs)
    this.#closeTimer.unref()
  }

  #dropQueue(): void {
    if (this.#queue) this.#queue.length = 0
    this.#queuedBytes = 0
    if (this.#drainWaiters !== undefined) this.#wakeDrainWaiters()
    this.#pendingClose = undefined
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters!
    this.#drainWaiters = undefined
    for (const resolve of waiters) resolve()
  }

  /** Runs after the socket closed: `onDisconnect` hooks while still registered, then removal. */
  handleClose(code: number, reason = ''): void {
    if (this.#state === State.Closed) return
    this.#state = State.Closed
    this.#dropQueue()
    const cancellable = this.#cancellable
    if (cancellable !== undefined) {
      this.#cancellable = undefined
      // Nobody will read these answers: services stop working on them.
      for (const cancel of cancellable.values()) cancel('disconnected')
    }
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer)
    this.#socket.off('drain', onSocketDrain)
    const settings = this.#settings
    settings.observer?.connectionClosed?.(settings.path, settings.registry.name, code)
    settings.logger.debug({ connectionId: this.id, userId: this.userId, path: settings.path, code }, 'connection closed')
    const hooks = settings.onDisconnect
    const hooksDone = hooks.length === 0 ? Promise.resolve() : this.#runHooks(hooks)
    void hooksDone
      .catch((err: unknown) => settings.logger.error({ connectionId: this.id, userId: this.userId, hook: 'onDisconnect', err: loggableError(err) }, 'onDisconnect hook failed'))
      .finally(() => {
        settings.events?.closed(this, code, reason)
        settings.registry.remove(this)
        settings.host.closed(this)
      })
  }

  handleError(err: Error & { code?: string }): void {
    // ws reports protocol violations here (it closes the socket itself with the right code).
    this.#settings.logger.debug({ connectionId: this.id, userId: this.userId, code: err.code, message: err.message }, 'websocket error')
  }

  async #runHooks(hooks: ReadonlyArray<(client: Client) => unknown>): Promise<void> {
    for (const hook of hooks) {
      if (this.#settings.ambient) await runWithClient(this, hook, this)
      else await hook(this)
    }
  }
}

function onWsMessage(this: Tagged<WebSocket>, data: Buffer, isBinary: boolean): void {
  this[kConnection]?.receive(data, isBinary)
}

function onWsPong(this: Tagged<WebSocket>): void {
  const connection = this[kConnection]
  if (connection) connection.alive = true
}

function onWsError(this: Tagged<WebSocket>, err: Error): void {
  this[kConnection]?.handleError(err)
}

function onWsClose(this: Tagged<WebSocket>, code: number, reason: Buffer): void {
  this[kConnection]?.handleClose(code, reason.toString())
}

function noop(): void {}

function onSocketDrain(this: Tagged<Duplex>): void {
  this[kConnection]?.flush()
}
