import type { GatewayError } from '../errors/gateway-error.js'
import type { HistoryPosition, PresenceMember } from '../index.js'
import type { RecoveryEvent } from './history-book.js'
import type { PresenceChange } from './presence-book.js'
import type {
  ContractLike,
  EmitArgs,
  EventName,
  GatewayContract,
  PushData,
  PushName,
  ReplyOf,
  RequestArgs,
} from './contract.js'

/**
 * Where the client stands:
 * - `connecting` — never open yet, trying (with backoff if attempts fail);
 * - `open` — connected, rooms re-joined, requests flowing;
 * - `reconnecting` — was open, the connection dropped, trying again with backoff;
 * - `closed` — for good: `close()` was called, the server closed with a code that means
 *   "don't come back", or `reconnect.maxAttempts` ran out. Nothing restarts it.
 */
export type ClientStatus = 'connecting' | 'open' | 'reconnecting' | 'closed'

/** A change of {@link ClientStatus}, with why. */
export interface StatusChange {
  readonly status: ClientStatus
  readonly previous: ClientStatus
  /** The close code of the connection that dropped, when one did. */
  readonly code?: number
  /** Its close reason. */
  readonly reason?: string
  /** For `connecting`/`reconnecting`: the attempt about to be made (1-based). */
  readonly attempt?: number
  /** For `connecting`/`reconnecting`: the delay before that attempt. */
  readonly delayMs?: number
}

/** Options of one request. */
export interface RequestOptions {
  /**
   * Limit for this request, counted from the call. It also travels with the request
   * as its deadline, so a service behind the gateway stops working on it then.
   * @default the client's `requestTimeoutMs`
   */
  timeoutMs?: number
  /**
   * Aborting it rejects the request `CANCELLED` at once; if it was sent already, a
   * `$cancel` frame tells the gateway, which cancels it on the service. @default none
   */
  signal?: AbortSignal
}

/** Where an error reported to `onError` came from. */
/** Options of `client.join(room, options)`. */
export interface JoinRoomOptions {
  /** On a first join of a room with history, replay its last N messages before live ones. @default none */
  last?: number
}

export interface ErrorContext {
  /** The event of the error frame, when the server named one (an emit it rejected, say). */
  readonly event?: string
  /** The room a re-join after reconnect failed for; the client no longer counts it as joined. */
  readonly room?: string
}

/**
 * A gangway client: requests with one outcome each, fire-and-forget emits, pushes,
 * rooms that survive reconnects, and a status. Typed by `G`, a gateway builder's
 * type or a {@link GatewayContract}.
 */
export interface GatewayClient<G extends ContractLike = GatewayContract> {
  /** Where the client stands; see {@link ClientStatus}. */
  readonly status: ClientStatus
  /** Rooms joined through `join()` and not left: re-joined after every reconnect. */
  readonly rooms: ReadonlySet<string>
  /** Requests (and emits) waiting to be sent, and requests sent and not yet answered. */
  readonly pending: { readonly queued: number; readonly inFlight: number }

  /**
   * Sends `{ event, data, id }` and resolves with the reply's `data`. Rejects with a
   * `GatewayError`: the server's `code` and `message`, `TIMEOUT`, `DISCONNECTED` (sent,
   * then the connection dropped: the server may have handled it), `CLOSED` (never sent:
   * the client closed), `QUEUE_FULL` or `INVALID_ARGUMENT`. Exactly one of these, always.
   * While disconnected, the request waits in the queue and goes out after reconnect.
   */
  request<E extends EventName<G>>(event: E, ...args: RequestArgs<G, E, RequestOptions>): Promise<ReplyOf<G, E>>

  /**
   * Sends `{ event, data }` without an id: no reply, no outcome. Queued while disconnected.
   * Returns false when it was dropped (the queue is full, or the client is closed).
   * An error frame the server sends back for it reaches `onError`.
   */
  emit<E extends EventName<G>>(event: E, ...args: EmitArgs<G, E>): boolean

  /** Listens to a push; returns the function that stops listening. */
  on<E extends PushName<G>>(event: E, listener: (data: PushData<G, E>) => void): () => void
  /** Listens to the next push of `event` only. */
  once<E extends PushName<G>>(event: E, listener: (data: PushData<G, E>) => void): () => void
  /** Stops a listener added with `on`. */
  off<E extends PushName<G>>(event: E, listener: (data: PushData<G, E>) => void): void

  /**
   * Joins a room through the gateway's join event (see `RoomProtocol`) and resolves with
   * its reply. Once it succeeded, the room is re-joined after every reconnect until `leave`.
   * For a room with history, the re-join sends where the client was (`since`), and the server
   * replays what it missed first (see `onRecovery`); `{ last: N }` asks for the last N messages
   * on a first join.
   */
  join(room: string, options?: JoinRoomOptions): Promise<unknown>
  /** Leaves a room: it is no longer re-joined, and the gateway's leave event is sent. */
  leave(room: string): Promise<unknown>

  /**
   * The members of a room the gateway sends this client presence for (its join handler joined it
   * with `{ presence: true }`), as the last `$presence` frame left them; empty for other rooms.
   */
  presence(room: string): PresenceMember[]
  /**
   * Listens to presence changes of those rooms: who came, who went, and everyone now. After a
   * reconnect and re-join, only the members who really came or went meanwhile are reported.
   */
  onPresence(listener: (change: PresenceChange) => void): () => void

  /** Where the client is in a room's history: the last offset and epoch it received, if any. */
  position(room: string): HistoryPosition | undefined
  /**
   * Listens to the server's answers to (re-)joins of rooms with history. `recovered: false`
   * (with a `reason`) means messages were missed and cannot be replayed: refetch the room's state.
   */
  onRecovery(listener: (event: RecoveryEvent) => void): () => void

  /**
   * Listens to status changes, and to every reconnect attempt scheduled while `connecting`
   * or `reconnecting` (with its `attempt` and `delayMs`); returns the function that stops listening.
   */
  onStatus(listener: (change: StatusChange) => void): () => void
  /**
   * Listens to errors that belong to no request: error frames for emits, re-joins the
   * server refused, malformed frames, exceptions thrown by listeners. Without any
   * error listener they are never swallowed: a listener's exception is rethrown
   * asynchronously (like an EventEmitter's), the others are written to `console.warn`.
   */
  onError(listener: (error: GatewayError, context: ErrorContext) => void): () => void

  /** Resolves once the status is `open` (at once if it is); rejects with `CLOSED` if the client closes first. */
  whenOpen(): Promise<void>

  /**
   * Closes for good: requests in flight reject with `DISCONNECTED`, queued ones with
   * `CLOSED`, no reconnect follows. Resolves once the socket is closed.
   */
  close(code?: number, reason?: string): Promise<void>
}
