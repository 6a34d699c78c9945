import { WsError } from '../errors/gateway-error.js'
import type { ForwardMeta, RequestRecord } from './bridge-records.js'
import { RemotePush, type RemotePushOperator } from './remote-push.js'
import type { Transport } from './transport.js'

/**
 * What a service handler gets besides the data: who sent it, and a way to
 * send further frames to the socket it came from.
 */
export interface ServiceContext<Meta extends ForwardMeta = ForwardMeta> {
  /** The pattern this message was sent to (an object pattern as its normalized route). */
  readonly pattern: string
  /** Connection id, node id, user, namespace, request id, trace id (see `ForwardMeta`). */
  readonly meta: Meta
  /** True when the broker delivered this message before (another instance may have started on it). */
  readonly redelivered: boolean
  /**
   * Epoch ms after which the requester no longer waits for the reply: the earlier of
   * the client's deadline and the gateway's `forward` timeout (`undefined` for events).
   */
  readonly deadline: number | undefined
  /**
   * Aborts when nobody waits for the answer any more: the `deadline` passed (reason: a
   * `WsError` coded `TIMEOUT`), the client cancelled the request or its connection
   * closed (`CANCELLED`). Pass it to `fetch`, database drivers, `setTimeout` from
   * `node:timers/promises`… to stop work nobody will read. What the handler returns
   * after it aborted is discarded by the gateway.
   */
  readonly signal: AbortSignal
  /**
   * Sends `{ event, data }` to the socket the message came from, now or later
   * (progress, streamed results). Returns false when the message did not come
   * from a gateway connection. At most once, like every push.
   */
  push(event: string, data?: unknown): boolean
  /** Push to anyone in the originating namespace: `ctx.server.to(room).emit(...)`. */
  readonly server: RemotePushOperator
}

/** The reasons `ctx.signal` aborts with. */
const DEADLINE_PASSED = (): WsError => new WsError('TIMEOUT', 'The deadline passed')

export class RequestContext implements ServiceContext {
  readonly pattern: string
  readonly meta: ForwardMeta
  readonly deadline: number | undefined
  #server: RemotePushOperator | undefined
  // The controller and the deadline timer exist only once a handler reads `signal`.
  #controller: AbortController | undefined
  #timer: NodeJS.Timeout | undefined
  #abortedWith: WsError | undefined
  #settled = false

  constructor(
    private readonly transport: Transport,
    record: RequestRecord,
    readonly redelivered: boolean,
  ) {
    this.pattern = record.p
    this.meta = typeof record.m === 'object' && record.m !== null ? record.m : {}
    this.deadline = typeof record.x === 'number' ? record.x : undefined
  }

  get server(): RemotePushOperator {
    return (this.#server ??= new RemotePush(this.transport, typeof this.meta.namespace === 'string' ? this.meta.namespace : '/'))
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.#abortedWith !== undefined) this.#controller.abort(this.#abortedWith)
      else if (!this.#settled && this.deadline !== undefined) {
        const left = this.deadline - Date.now()
        if (left <= 0) this.#controller.abort(DEADLINE_PASSED())
        else {
          this.#timer = setTimeout(() => this.abort(DEADLINE_PASSED()), left)
          this.#timer.unref()
        }
      }
    }
    return this.#controller.signal
  }

  /** Aborts `signal` (once; later calls change nothing). */
  abort(reason: WsError): void {
    if (this.#abortedWith !== undefined || this.#settled) return
    this.#abortedWith = reason
    clearTimeout(this.#timer)
    this.#controller?.abort(reason)
  }

  /** The handler finished: no more aborts, no timer left behind. */
  settle(): void {
    this.#settled = true
    clearTimeout(this.#timer)
  }

  push(event: string, data?: unknown): boolean {
    const { connectionId } = this.meta
    if (typeof connectionId !== 'string') return false
    this.server.toConnection(connectionId).emit(event, data)
    return true
  }
}
