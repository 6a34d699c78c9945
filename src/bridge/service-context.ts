import type { ForwardMeta, RequestRecord } from './bridge-records.js'
import { RemotePush, type RemotePushOperator } from './remote-push.js'
import type { Transport } from './transport.js'

/**
 * What a service handler gets besides the data: who sent it, and a way to
 * send further frames to the socket it came from.
 */
export interface ServiceContext<Meta extends ForwardMeta = ForwardMeta> {
  /** The pattern this message was sent to. */
  readonly pattern: string
  /** Connection id, node id, user, namespace, request id, trace id (see `ForwardMeta`). */
  readonly meta: Meta
  /** True when the broker delivered this message before (another instance may have started on it). */
  readonly redelivered: boolean
  /** Epoch ms after which the requester no longer waits for the reply (`undefined` for events). */
  readonly deadline: number | undefined
  /**
   * Sends `{ event, data }` to the socket the message came from, now or later
   * (progress, streamed results). Returns false when the message did not come
   * from a gateway connection. At most once, like every push.
   */
  push(event: string, data?: unknown): boolean
  /** Push to anyone in the originating namespace: `ctx.server.to(room).emit(...)`. */
  readonly server: RemotePushOperator
}

export class RequestContext implements ServiceContext {
  readonly pattern: string
  readonly meta: ForwardMeta
  readonly deadline: number | undefined
  #server: RemotePushOperator | undefined

  constructor(
    private readonly transport: Transport,
    record: RequestRecord,
    readonly redelivered: boolean,
  ) {
    this.pattern = record.p
    this.meta = typeof record.m === 'object' && record.m !== null ? record.m : {}
    this.deadline = record.x
  }

  get server(): RemotePushOperator {
    return (this.#server ??= new RemotePush(this.transport, typeof this.meta.namespace === 'string' ? this.meta.namespace : '/'))
  }

  push(event: string, data?: unknown): boolean {
    const { connectionId } = this.meta
    if (typeof connectionId !== 'string') return false
    this.server.toConnection(connectionId).emit(event, data)
    return true
  }
}
