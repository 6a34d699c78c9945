// Pure module: the client's browser bundle includes it, so no Node built-ins here.
//
// gangway-ws/client imports GatewayError from its own file, not from core's public surface
// (`../index.js`): the index pulls in the server (ws, node:http, AsyncLocalStorage), which a
// browser bundle cannot hold. gateway-error.ts and error-codes.ts are pure, and sharing the
// class means users branch on the same `GatewayError` and codes on both sides of the wire.
import { GatewayError } from '../errors/gateway-error.js'
import type { HistoryPosition, PING_EVENT, PRESENCE_EVENT, PresenceMember, PROTOCOL, RECOVERY_EVENT } from '../index.js'
import { encodeClientFrame, parseServerFrame, serializeData } from './client-frames.js'
import type { ResolvedClientOptions } from './client-options.js'
import type { ContractLike, GatewayContract } from './contract.js'
import type { ClientStatus, ErrorContext, GatewayClient, JoinRoomOptions, RequestOptions, StatusChange } from './gateway-client.js'
import { HeartbeatProbe } from './heartbeat-probe.js'
import { ListenerMap } from './listener-map.js'
import { backoffDelay } from './reconnect-policy.js'
import { RequestLedger } from './request-ledger.js'
import { OPEN, toWebSocketUrl, type ClientUrl, type WebSocketLike } from './websocket-like.js'
import { PresenceBook, type PresenceChange } from './presence-book.js'
import { HistoryBook, type RecoveryEvent } from './history-book.js'

/** The subprotocol the gateway echoes; `typeof PROTOCOL` makes the compiler check it matches the server's. */
const SUBPROTOCOL: typeof PROTOCOL = 'gangway.v1'
/** The liveness probe the gateway answers before any handler (`$ping`, typed against the server's constant). */
const PING_FRAME = JSON.stringify({ event: '$ping' satisfies typeof PING_EVENT, id: '$ping' })
/** Presence of a watched room, handled by the client rather than `on()` listeners. */
const PRESENCE: typeof PRESENCE_EVENT = '$presence'
/** The answer to a join of a room with history, handled by the client rather than `on()` listeners. */
const RECOVERY: typeof RECOVERY_EVENT = '$recovery'
/** What a connection given up by the heartbeat reports: 1006, as for any connection lost without a close frame. */
const HEARTBEAT_TIMEOUT = { code: 1006, reason: 'heartbeat timeout' } as const

type Timer = ReturnType<typeof setTimeout>
type AnyListener = (...args: never[]) => void

const STATUS = 'status'
const ERROR = 'error'
const PRESENCE_CHANGE = 'presence'
const RECOVERY_CHANGE = 'recovery'

/**
 * The client behind `createClient`: one socket at a time, replaced after a drop
 * with exponential backoff and full jitter. Everything the user asked for that
 * has not happened yet lives in the ledger (requests) or in `#rooms` (joins).
 */
export class ReconnectingClient<G extends ContractLike = GatewayContract> implements GatewayClient<G> {
  readonly #url: ClientUrl
  readonly #options: ResolvedClientOptions
  readonly #ledger: RequestLedger
  readonly #pushes = new ListenerMap()
  readonly #own = new ListenerMap()
  readonly #rooms = new Set<string>()
  readonly #presence = new PresenceBook()
  readonly #history = new HistoryBook()
  /**
   * The latest join/leave call per room while it is in flight, so a late join reply cannot
   * re-add a room left meanwhile. Entries go when their call settles: the map stays small.
   */
  readonly #roomIntent = new Map<string, number>()
  #lastIntent = 0
  #status: ClientStatus = 'connecting'
  #socket: WebSocketLike | undefined
  /** True once the socket is open and rooms are re-joined: the queue may flow. */
  #ready = false
  #everOpen = false
  #attempt = 0
  #openedAt = 0
  #retryTimer: Timer | undefined
  #connectTimer: Timer | undefined
  /** `close()` calls waiting for the current socket's close event. */
  #closeWaiters: Array<() => void> = []
  /** Liveness of the current socket, while it is open. */
  #heartbeat: HeartbeatProbe | undefined

  constructor(url: ClientUrl, options: ResolvedClientOptions) {
    if (typeof url !== 'function') toWebSocketUrl(url) // a bad static URL throws here, where the mistake is
    this.#url = url
    this.#options = options
    this.#ledger = new RequestLedger(options, (text) => {
      if (this.#ready && this.#socket !== undefined) this.#send(this.#socket, text)
    })
    void this.#connect()
  }

  get status(): ClientStatus {
    return this.#status
  }

  get rooms(): ReadonlySet<string> {
    return this.#rooms
  }

  get pending(): { readonly queued: number; readonly inFlight: number } {
    return { queued: this.#ledger.queued, inFlight: this.#ledger.inFlight }
  }

  request(event: string, data?: unknown, options: RequestOptions = {}): Promise<never> {
    return this.#request(event, data, options) as Promise<never>
  }

  emit(event: string, data?: unknown): boolean {
    const dataJson = serializeData(event, data)
    if (this.#status === 'closed') return false
    if (this.#ready && this.#ledger.canSendDirectly) return this.#send(this.#socket!, encodeClientFrame(event, dataJson, undefined))
    return this.#ledger.emit(event, dataJson)
  }

  on(event: string, listener: (data: never) => void): () => void {
    return this.#pushes.add(event, listener as AnyListener)
  }

  once(event: string, listener: (data: never) => void): () => void {
    const remove = this.#pushes.add(event, ((data: never) => {
      remove()
      listener(data)
    }) as AnyListener)
    return remove
  }

  off(event: string, listener: (data: never) => void): void {
    this.#pushes.remove(event, listener as AnyListener)
  }

  async join(room: string, options: JoinRoomOptions = {}): Promise<unknown> {
    assertRoom(room)
    const { last } = options
    if (last !== undefined && (!Number.isSafeInteger(last) || last <= 0)) throw new GatewayError('INVALID_ARGUMENT', `last must be a positive integer, got ${String(last)}`)
    const intent = this.#newIntent(room)
    const { joinEvent, data } = this.#options.rooms
    try {
      const reply = await this.#request(joinEvent, data(room), {}, this.#history.sinceJson(room, last))
      if (this.#roomIntent.get(room) === intent && this.#status !== 'closed') this.#rooms.add(room)
      return reply
    } finally {
      this.#endIntent(room, intent)
    }
  }

  async leave(room: string): Promise<unknown> {
    assertRoom(room)
    const intent = this.#newIntent(room)
    this.#rooms.delete(room)
    this.#history.forget(room)
    this.#presenceChanged(this.#presence.forget(room))
    const { leaveEvent, data } = this.#options.rooms
    try {
      return await this.#request(leaveEvent, data(room), {})
    } finally {
      this.#endIntent(room, intent)
    }
  }

  presence(room: string): PresenceMember[] {
    return this.#presence.members(room)
  }

  onPresence(listener: (change: PresenceChange) => void): () => void {
    return this.#own.add(PRESENCE_CHANGE, listener as AnyListener)
  }

  position(room: string): HistoryPosition | undefined {
    return this.#history.position(room)
  }

  onRecovery(listener: (event: RecoveryEvent) => void): () => void {
    return this.#own.add(RECOVERY_CHANGE, listener as AnyListener)
  }

  onStatus(listener: (change: StatusChange) => void): () => void {
    return this.#own.add(STATUS, listener as AnyListener)
  }

  onError(listener: (error: GatewayError, context: ErrorContext) => void): () => void {
    return this.#own.add(ERROR, listener as AnyListener)
  }

  whenOpen(): Promise<void> {
    if (this.#status === 'open') return Promise.resolve()
    if (this.#status === 'closed') return Promise.reject(closedError('The client is closed'))
    return new Promise((resolve, reject) => {
      const stop = this.onStatus(({ status }) => {
        if (status === 'open') resolve()
        else if (status === 'closed') reject(closedError('The client closed before it was open'))
        else return
        stop()
      })
    })
  }

  close(code = 1000, reason = ''): Promise<void> {
    const socket = this.#socket
    const closed = socket === undefined ? Promise.resolve() : new Promise<void>((resolve) => this.#closeWaiters.push(resolve))
    if (this.#status !== 'closed') this.#shutDown({ code, reason }, 'The client was closed')
    if (socket !== undefined) {
      try {
        socket.close(code, reason)
      } catch {
        socket.close() // an invalid code or reason from the caller must not keep the socket open
      }
    }
    return closed
  }

  // --- the connection loop ---

  async #connect(): Promise<void> {
    let url: string
    let protocols: string[]
    try {
      url = toWebSocketUrl(typeof this.#url === 'function' ? await this.#url() : this.#url)
      const { protocols: extra } = this.#options
      protocols = [SUBPROTOCOL, ...(typeof extra === 'function' ? await extra() : extra)]
    } catch (cause) {
      if (this.#status === 'closed') return
      this.#report(asGatewayError(cause, 'Could not prepare the connection'), {})
      return this.#retry(undefined, '')
    }
    if (this.#status === 'closed') return
    let socket: WebSocketLike
    try {
      socket = this.#open(url, protocols)
    } catch (cause) {
      this.#report(asGatewayError(cause, 'Could not open a WebSocket'), {})
      return this.#retry(undefined, '')
    }
    this.#socket = socket
    socket.onopen = () => this.#onOpen(socket)
    socket.onmessage = (event) => this.#onMessage(socket, event.data)
    socket.onclose = (event) => this.#onClose(socket, event.code, event.reason)
    // The close event follows every error; browsers give no detail on the error event anyway.
    socket.onerror = () => {}
    this.#connectTimer = setTimeout(() => {
      if (this.#socket === socket && !this.#ready) socket.close()
    }, this.#options.connectTimeoutMs)
  }

  #open(url: string, protocols: string[]): WebSocketLike {
    const { WebSocket, headers } = this.#options
    if (headers === undefined) return new WebSocket(url, protocols)
    // Only the Node entry's `ws` takes a third argument; resolveClientOptions refuses headers with a custom constructor.
    const WithHeaders = WebSocket as unknown as new (url: string, protocols: string[], options: { headers: Readonly<Record<string, string>> }) => WebSocketLike
    return new WithHeaders(url, protocols, { headers })
  }

  #onOpen(socket: WebSocketLike): void {
    if (this.#socket !== socket) return
    clearTimeout(this.#connectTimer)
    this.#watchLiveness(socket)
    this.#openedAt = Date.now()
    this.#everOpen = true
    const rooms = [...this.#rooms]
    if (rooms.length === 0) return this.#becomeReady(socket)
    // Re-join first, straight past the queue: what was queued while offline then finds its rooms joined.
    const { joinEvent, data } = this.#options.rooms
    const send = (text: string) => void this.#send(socket, text)
    const rejoins = rooms.map((room) => {
      // Undefined unless a join/leave of this room is in flight; any call made during the re-join changes it.
      const intent = this.#roomIntent.get(room)
      let dataJson: string | undefined
      try {
        dataJson = serializeData(joinEvent, data(room))
      } catch (cause) {
        return Promise.resolve(this.#rejoinFailed(room, intent, asGatewayError(cause, 'rooms.data failed')))
      }
      return this.#ledger
        .request(joinEvent, dataJson, this.#options.requestTimeoutMs, send, undefined, this.#history.sinceJson(room))
        .catch((error: GatewayError) => this.#rejoinFailed(room, intent, error))
    })
    void Promise.all(rejoins).then(() => this.#becomeReady(socket))
  }

  #rejoinFailed(room: string, intent: number | undefined, error: GatewayError): void {
    // A drop during the re-join is handled by the next connection.
    if (error.code === 'DISCONNECTED' || this.#status === 'closed') return
    // The server said no: the room is no longer ours. A timeout proves nothing; the next reconnect tries again.
    if (error.code !== 'TIMEOUT' && this.#roomIntent.get(room) === intent) this.#rooms.delete(room)
    this.#report(error, { event: this.#options.rooms.joinEvent, room })
  }

  #becomeReady(socket: WebSocketLike): void {
    if (this.#socket !== socket || this.#status === 'closed' || socket.readyState !== OPEN) return
    this.#ready = true
    this.#setStatus({ status: 'open' })
    this.#pump()
  }

  #onMessage(socket: WebSocketLike, text: unknown): void {
    if (this.#socket !== socket) return
    this.#heartbeat?.heard()
    const frame = parseServerFrame(text)
    switch (frame.kind) {
      case 'reply':
        // No match: its request already timed out. The one outcome it had stands.
        if (this.#ledger.answer(frame.id, { data: frame.data })) this.#pump()
        return
      case 'error':
        if (frame.id !== undefined && this.#ledger.answer(frame.id, { error: frame.error })) return this.#pump()
        if (frame.id === undefined) this.#report(frame.error, frame.event === undefined ? {} : { event: frame.event })
        return
      case 'push':
        if (frame.event === PRESENCE) return this.#presenceChanged(this.#presence.apply(frame.data))
        if (frame.event === RECOVERY) return this.#recovered(this.#history.recovery(frame.data))
        if (frame.history !== undefined) this.#history.received(frame.history.room, frame.history.offset, frame.history.epoch)
        this.#pushes.emit(frame.event, [frame.data], (error) => this.#listenerThrew(error, frame.event))
        return
      case 'malformed':
        this.#report(frame.error, {})
    }
  }

  #onClose(socket: WebSocketLike, code: number, reason: string): void {
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null
    if (this.#socket !== socket) return
    this.#heartbeat?.stop()
    this.#heartbeat = undefined
    for (const resolve of this.#closeWaiters.splice(0)) resolve()
    this.#socket = undefined
    this.#ready = false
    clearTimeout(this.#connectTimer)
    this.#ledger.failInFlight((event) => new GatewayError('DISCONNECTED', `The connection closed (${code}) before "${event}" was answered`))
    if (this.#status === 'closed') return
    const { reconnect } = this.#options
    if (reconnect === false || !reconnect.shouldReconnect(code, reason)) {
      this.#shutDown({ code, reason }, `The server closed the connection (${code}${reason ? ` ${reason}` : ''})`)
      return
    }
    this.#retry(code, reason)
  }

  /** Probes the open socket when it goes quiet; one that stops answering is given up like a dropped one. */
  #watchLiveness(socket: WebSocketLike): void {
    const { heartbeat } = this.#options
    if (heartbeat === false) return
    this.#heartbeat = new HeartbeatProbe(
      heartbeat.intervalMs,
      heartbeat.timeoutMs,
      () => void this.#send(socket, PING_FRAME),
      () => {
        // A frozen peer may never finish a closing handshake: stop listening to this socket now.
        ;(socket as WebSocketLike & { terminate?(): void }).terminate?.() ?? socket.close()
        this.#onClose(socket, HEARTBEAT_TIMEOUT.code, HEARTBEAT_TIMEOUT.reason)
      },
    )
    this.#heartbeat.start()
  }

  #retry(code: number | undefined, reason: string): void {
    const { reconnect } = this.#options
    if (reconnect === false) return this.#shutDown({ code: code ?? 1006, reason }, 'The connection failed and reconnect is off')
    if (this.#openedAt > 0 && Date.now() - this.#openedAt >= reconnect.stableAfterMs) this.#attempt = 0
    this.#openedAt = 0
    this.#attempt++
    if (this.#attempt > reconnect.maxAttempts) {
      return this.#shutDown({ code: code ?? 1006, reason }, `Gave up after ${reconnect.maxAttempts} reconnect attempts`)
    }
    const delayMs = backoffDelay(this.#attempt, reconnect)
    this.#retryTimer = setTimeout(() => void this.#connect(), delayMs)
    // Reported for every attempt, not only on a change, so a page can show "retrying in 4 s".
    this.#setStatus(
      {
        status: this.#everOpen ? 'reconnecting' : 'connecting',
        attempt: this.#attempt,
        delayMs,
        ...(code === undefined ? {} : { code, reason }),
      },
      true,
    )
  }

  #shutDown(close: { code: number; reason: string }, why: string): void {
    clearTimeout(this.#retryTimer)
    clearTimeout(this.#connectTimer)
    this.#heartbeat?.stop()
    this.#ready = false
    this.#ledger.failInFlight((event) => new GatewayError('DISCONNECTED', `${why} before "${event}" was answered`))
    this.#ledger.failQueued((event) => closedError(`${why}; "${event}" was never sent`))
    this.#setStatus({ status: 'closed', code: close.code, reason: close.reason })
  }

  // --- helpers ---

  #request(event: string, data: unknown, options: RequestOptions, sinceJson?: string): Promise<unknown> {
    let dataJson: string | undefined
    try {
      dataJson = serializeData(event, data)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.#status === 'closed') return Promise.reject(closedError(`The client is closed; "${event}" was not sent`))
    const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      return Promise.reject(new GatewayError('INVALID_ARGUMENT', `timeoutMs must be a positive integer, got ${String(timeoutMs)}`))
    }
    const answer = this.#ledger.request(event, dataJson, timeoutMs, undefined, options.signal, sinceJson)
    if (this.#ready) this.#pump()
    return answer
  }

  #pump(): void {
    const socket = this.#socket
    if (this.#ready && socket !== undefined) this.#ledger.pump((text) => this.#send(socket, text))
  }

  #send(socket: WebSocketLike, text: string): boolean {
    if (socket.readyState !== OPEN) return false
    try {
      socket.send(text)
      return true
    } catch {
      return false
    }
  }

  #newIntent(room: string): number {
    const intent = ++this.#lastIntent
    this.#roomIntent.set(room, intent)
    return intent
  }

  #endIntent(room: string, intent: number): void {
    if (this.#roomIntent.get(room) === intent) this.#roomIntent.delete(room)
  }

  #presenceChanged(change: PresenceChange | undefined): void {
    if (change !== undefined) this.#own.emit(PRESENCE_CHANGE, [change], (error) => this.#listenerThrew(error, PRESENCE))
  }

  #recovered(event: RecoveryEvent | undefined): void {
    if (event !== undefined) this.#own.emit(RECOVERY_CHANGE, [event], (error) => this.#listenerThrew(error, RECOVERY))
  }

  #setStatus(change: Omit<StatusChange, 'previous'>, everyAttempt = false): void {
    const previous = this.#status
    if (previous === change.status && !everyAttempt) return
    this.#status = change.status
    this.#own.emit(STATUS, [{ ...change, previous }], (error) => this.#listenerThrew(error, undefined))
  }

  /** Hands an error to `onError` listeners; without any, a warning on the console (a server's bad frame must not crash a Node process). */
  #report(error: GatewayError, context: ErrorContext): void {
    if (this.#own.emit(ERROR, [error, context], rethrowLater) === 0) {
      ;(globalThis as { console?: { warn(...args: unknown[]): void } }).console?.warn('[gangway-ws/client]', error.code, error.message, context)
    }
  }

  /** A listener of ours threw: the user's bug. `onError` gets it; without a listener it is rethrown like an EventEmitter's. */
  #listenerThrew(error: unknown, event: string | undefined): void {
    if (this.#own.count(ERROR) === 0) return rethrowLater(error)
    const wrapped = new GatewayError('INTERNAL', `A listener${event === undefined ? '' : ` of "${event}"`} threw: ${(error as Error)?.message ?? String(error)}`, { cause: error })
    this.#own.emit(ERROR, [wrapped, event === undefined ? {} : { event }], rethrowLater)
  }
}

function closedError(message: string): GatewayError {
  return new GatewayError('CLOSED', message)
}

function asGatewayError(cause: unknown, context: string): GatewayError {
  if (cause instanceof GatewayError) return cause
  return new GatewayError('INTERNAL', `${context}: ${(cause as Error)?.message ?? String(cause)}`, { cause })
}

function assertRoom(room: unknown): asserts room is string {
  if (typeof room !== 'string' || room.length === 0) {
    throw new GatewayError('INVALID_ARGUMENT', `A room must be a non-empty string, got ${JSON.stringify(room) ?? String(room)}`)
  }
}

// Surfaces an exception from user code like an uncaught one, outside the client's own call stack.
function rethrowLater(error: unknown): void {
  setTimeout(() => {
    throw error
  }, 0)
}
