import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream'
import { nanos, type MsgHdrs } from '@nats-io/transport-node'
import {
  escapeToken,
  GatewayError,
  onReconnected,
  silentLogger,
  type HistoryAppend,
  type HistoryRange,
  type HistoryReadRequest,
  type HistoryStore,
  type HistoryStoreEvents,
  type LiveEntry,
  type RoomHistoryConfig,
  type StoredEntry,
} from '../internal.js'
import { NatsBrokerConnection } from './nats-broker-connection.js'
import type { NatsConnectionLike, NatsMessageLike, NatsSubscriptionLike } from './nats-connection-like.js'
import { resolveNatsBusOptions } from './nats-options.js'
import { RepublishOrder } from './republish-order.js'

/** Options of the JetStream history store. */
export interface NatsHistoryStoreOptions {
  /** Prefix of its subjects and stream name (`natsCluster` passes its `channelPrefix`). @default 'gangway' */
  prefix?: string
  /** The most messages the stream keeps per room (`max_msgs_per_subject`); a room's own `size` applies below it. @default 1000 */
  maxMessagesPerRoom?: number
  /** The stream's `max_age`; a room's own `ttlMs` applies below it. @default 86400000 (a day) */
  maxAgeMs?: number
  /** Where the stream keeps messages: `file` survives a NATS restart, `memory` does not (a restart is then a new epoch). @default 'file' */
  storage?: 'file' | 'memory'
}

/** A room this node receives live: its republish subject's subscription and the order it is put back in. */
interface LiveSubject {
  readonly namespace: string
  readonly room: string
  readonly order: RepublishOrder<() => void>
  subscription: NatsSubscriptionLike | undefined
}

const DECODER = new TextDecoder()
const ENCODER = new TextEncoder()

/**
 * Rooms' histories in one JetStream stream, for gateways on `natsCluster`. A message is
 * published to `<prefix>.history.<ns>.<room>`; the stream keeps it (per-room limit, max age) and
 * republishes it to `<prefix>.hlive.<ns>.<room>` once stored; each node puts a room's republished
 * messages back in stream order (a server before 2.12 may republish concurrent publishes out of
 * order), so every node delivers them in offset order, the order a replay reads. Offsets are stream sequences: increasing per room, with gaps (other
 * rooms' messages). The epoch is the stream's creation time: a stream deleted and created again
 * is a new epoch.
 */
export class NatsHistoryStore implements HistoryStore {
  readonly name = 'jetstream'
  readonly #prefix: string
  readonly #stream: string
  readonly #maxPerRoom: number
  readonly #maxAgeMs: number
  readonly #storage: 'file' | 'memory'
  readonly #connection: NatsBrokerConnection
  readonly #subjects = new Map<string, LiveSubject>()
  #nc: NatsConnectionLike | undefined
  #js: JetStreamClient | undefined
  #jsm: JetStreamManager | undefined
  #events: HistoryStoreEvents | undefined
  #epoch: string | undefined
  #lastSeq = 0
  /** Live entries waiting while the epoch is looked up again (the stream started over). */
  #waiting: Array<() => void> | undefined
  #ensuring: Promise<void> | undefined
  /** Rooms (their history subjects) this node lost a message of: their next stored message carries the gap mark. */
  readonly #gaps = new Set<string>()

  constructor(connection: string | readonly string[] | NatsConnectionLike, options: NatsHistoryStoreOptions = {}) {
    this.#prefix = options.prefix ?? 'gangway'
    this.#stream = `${this.#prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_history`
    this.#maxPerRoom = options.maxMessagesPerRoom ?? 1000
    this.#maxAgeMs = options.maxAgeMs ?? 86_400_000
    this.#storage = options.storage ?? 'file'
    this.#connection = new NatsBrokerConnection(connection, resolveNatsBusOptions({}), { name: 'history', echo: true, setup: (nc) => this.#setup(nc) }, () => this.#events?.logger ?? silentLogger)
  }

  async start(events: HistoryStoreEvents): Promise<void> {
    this.#events = events
    this.#watchConnection()
    await this.#connection.whenConnected()
  }

  async append(namespace: string, room: string, message: HistoryAppend): Promise<void> {
    const js = this.#js
    if (js === undefined || this.#connection.down) throw new GatewayError('UNAVAILABLE', 'The JetStream history store is not connected')
    const subject = this.#subject('history', namespace, room)
    const gap = this.#gaps.has(subject)
    const exceptions = gap ? [message.exceptRooms, message.exceptConnections, 1] : [message.exceptRooms, message.exceptConnections]
    const body = ENCODER.encode(`${Date.now()}\n${JSON.stringify(exceptions)}\n${JSON.stringify(message.event)}\n${message.data}`)
    try {
      await js.publish(subject, body)
    } catch (err) {
      // The stream is gone (deleted, or lost with a memory-backed server): create it, a new epoch, and try once more.
      if (!(await this.#streamMissing())) throw new GatewayError('UNAVAILABLE', 'JetStream did not store the message', { cause: err })
      await this.#ensureStream(true)
      await js.publish(subject, body)
    }
    if (gap) this.#gaps.delete(subject)
  }

  /** The epoch is the stream's, shared by every room: a lost message is marked on the room's next one instead. */
  resetEpoch(namespace: string, room: string): void {
    this.#gaps.add(this.#subject('history', namespace, room))
  }

  async subscribe(namespace: string, room: string): Promise<void> {
    const subject = this.#subject('hlive', namespace, room)
    if (!this.#subjects.has(subject)) {
      const nc = this.#nc
      const order = new RepublishOrder<() => void>((deliver) => deliver())
      this.#subjects.set(subject, { namespace, room, order, subscription: nc === undefined ? undefined : this.#open(nc, subject) })
    }
    await this.#nc?.flush()
  }

  unsubscribe(namespace: string, room: string): void {
    const subject = this.#subject('hlive', namespace, room)
    const entry = this.#subjects.get(subject)
    this.#subjects.delete(subject)
    entry?.order.close()
    try {
      entry?.subscription?.unsubscribe()
    } catch {
      // already closed
    }
  }

  async read(namespace: string, room: string, request: HistoryReadRequest, config: RoomHistoryConfig): Promise<HistoryRange> {
    const jsm = this.#jsm
    if (jsm === undefined || this.#connection.down) throw new GatewayError('UNAVAILABLE', 'The JetStream history store is not connected')
    const subject = this.#subject('history', namespace, room)
    const info = await jsm.streams.info(this.#stream, { subjects_filter: subject }).catch(async (err: unknown) => {
      // Gone: the next epoch starts now, with an empty stream.
      if (!(await this.#streamMissing())) throw err
      await this.#ensureStream(true)
      return jsm.streams.info(this.#stream, { subjects_filter: subject })
    })
    const epoch = epochOf(info.created)
    this.#epoch = epoch
    const top = info.state.last_seq
    const stored = (info.state.subjects as Record<string, number> | undefined)?.[subject] ?? 0
    const after = 'after' in request ? request.after : 0
    const expired = Date.now() - config.ttlMs
    // Messages of the room after `after`, oldest first; `last` reads them all (at most the per-room limit).
    const limit = 'after' in request ? request.limit : this.#maxPerRoom
    const all = stored === 0 || request.limit === 0 ? [] : await this.#range(jsm, subject, Math.max(after + 1, info.state.first_seq), top, limit)
    // Held to the room's own size and ttl: only its newest `size` messages younger than `ttlMs` count.
    const beyondSize = Math.max(0, all.length - config.size)
    const entries = all.slice(beyondSize).filter((entry) => entry.at >= expired)
    if ('last' in request) return { epoch, top, entries: entries.slice(Math.max(0, entries.length - request.last)), complete: true }
    const dropped = beyondSize > 0 || entries.length < all.length - beyondSize
    return { epoch, top, entries, complete: !dropped && (await this.#intactAfter(jsm, subject, after, info.state.first_seq, stored)) }
  }

  /**
   * Up to `max` messages of `subject` from sequence `from` to `top`, oldest first: one lookup, then one ordered fetch.
   * It stops at `top` (the stream's last sequence when the read began): what came later reaches a resuming
   * connection live, held behind its replay, so reading on under heavy publishing would only make the range
   * look longer than the client's gap (and answer 'too-far-behind' for a client that missed little).
   */
  async #range(jsm: JetStreamManager, subject: string, from: number, top: number, max: number): Promise<StoredEntry[]> {
    const first = await jsm.streams.getMessage(this.#stream, { seq: from, next_by_subj: subject } as unknown as { seq: number })
    if (first === null || first === undefined || first.seq > top) return []
    const entries: StoredEntry[] = []
    if (max === 1) {
      const entry = toEntry(first.data, first.seq)
      return entry === undefined ? entries : [entry]
    }
    const { DeliverPolicy } = await import('@nats-io/jetstream')
    const consumer = await this.#js!.consumers.get(this.#stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first.seq })
    // It starts at a message that exists, so the fetch ends on the last one (pending 0), not at its expiry.
    const messages = await consumer.fetch({ max_messages: max, expires: 5000 })
    for await (const msg of messages) {
      if (msg.seq > top) break
      const next = toEntry(msg.data, msg.seq)
      if (next !== undefined) entries.push(next)
      if (msg.info.pending === 0 || msg.seq === top || entries.length >= max) break
    }
    return entries
  }

  async close(): Promise<void> {
    for (const entry of this.#subjects.values()) {
      entry.order.close()
      try {
        entry.subscription?.unsubscribe()
      } catch {
        // already closed
      }
    }
    this.#subjects.clear()
    await this.#connection.close()
  }

  /**
   * Whether no message of the room after `after` was removed. JetStream removes a room's messages
   * oldest first (per-room limit, max age), so: the room still has one at or before `after`, or
   * nothing was removed past `after` by age (the stream's first sequence is not beyond it) nor by
   * the per-room limit (the room holds fewer than the limit).
   */
  async #intactAfter(jsm: JetStreamManager, subject: string, after: number, firstSeq: number, stored: number): Promise<boolean> {
    if (after === 0) return firstSeq <= 1 && stored < this.#maxPerRoom
    const oldest = stored === 0 ? null : await jsm.streams.getMessage(this.#stream, { seq: firstSeq, next_by_subj: subject } as unknown as { seq: number })
    if (oldest && oldest.seq <= after) return true
    return firstSeq <= after + 1 && stored < this.#maxPerRoom
  }

  async #setup(nc: NatsConnectionLike): Promise<void> {
    this.#nc = nc
    const { jetstream, jetstreamManager } = await import('@nats-io/jetstream')
    this.#jsm = await jetstreamManager(nc as never)
    this.#js = jetstream(nc as never)
    await this.#ensureStream(false)
    for (const [subject, entry] of this.#subjects) {
      // Messages may have been lost while disconnected: nothing to wait for from before.
      entry.order.reset()
      entry.subscription ??= this.#open(nc, subject)
    }
    await nc.flush()
  }

  /** Back after a lost connection (nats.js renewed the subscriptions): republished messages may have gone by. */
  #watchConnection(): void {
    this.#connection.state.watch(
      onReconnected(() => {
        for (const entry of this.#subjects.values()) entry.order.reset()
        this.#events?.interrupted?.()
      }),
    )
  }

  /** Creates the stream if it is missing (or `again`: it went missing), and learns its epoch. */
  #ensureStream(again: boolean): Promise<void> {
    if (this.#ensuring !== undefined && !again) return this.#ensuring
    const jsm = this.#jsm!
    this.#ensuring = (async () => {
      const { StorageType, DiscardPolicy } = await import('@nats-io/jetstream')
      const config = {
        name: this.#stream,
        subjects: [`${this.#prefix}.history.>`],
        max_msgs_per_subject: this.#maxPerRoom,
        max_age: nanos(this.#maxAgeMs),
        storage: this.#storage === 'memory' ? StorageType.Memory : StorageType.File,
        discard: DiscardPolicy.Old,
        republish: { src: `${this.#prefix}.history.>`, dest: `${this.#prefix}.hlive.>` },
      }
      let info
      try {
        info = await jsm.streams.info(this.#stream)
      } catch {
        info = await jsm.streams.add(config).catch(async (err: unknown) => {
          // Another node created it meanwhile.
          return jsm.streams.info(this.#stream).catch(() => Promise.reject(err))
        })
      }
      this.#epoch = epochOf(info.created)
    })()
    return this.#ensuring
  }

  async #streamMissing(): Promise<boolean> {
    try {
      await this.#jsm?.streams.info(this.#stream)
      return false
    } catch (err) {
      return String((err as Error)?.message).includes('not found')
    }
  }

  #open(nc: NatsConnectionLike, subject: string): NatsSubscriptionLike {
    return nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err === null) this.#receive(subject, msg)
      },
    })
  }

  /** A republished message: put back in the room's stream order (see RepublishOrder), then delivered. */
  #receive(subject: string, msg: NatsMessageLike): void {
    const target = this.#subjects.get(subject)
    const headers = msg.headers as MsgHdrs | undefined
    const seq = Number(headers?.get('Nats-Sequence'))
    if (target === undefined || !Number.isSafeInteger(seq)) return
    const previous = Number(headers?.get('Nats-Last-Sequence'))
    target.order.push(seq, Number.isSafeInteger(previous) ? previous : 0, () => this.#inOrder(target, seq, msg))
  }

  #inOrder(target: LiveSubject, seq: number, msg: NatsMessageLike): void {
    const deliver = () => {
      const entry = parseBody(msg.data, seq, this.#epoch!)
      if (entry !== undefined) this.#events?.entry(target.namespace, target.room, entry)
    }
    // A sequence that went back: the stream started over (a new epoch); learn it before delivering more.
    if (seq <= this.#lastSeq && this.#waiting === undefined) this.#relearnEpoch()
    this.#lastSeq = seq
    if (this.#waiting !== undefined) this.#waiting.push(deliver)
    else deliver()
  }

  #relearnEpoch(): void {
    this.#waiting = []
    const done = () => {
      const waiting = this.#waiting ?? []
      this.#waiting = undefined
      for (const deliver of waiting) deliver()
    }
    this.#jsm!.streams.info(this.#stream).then(
      (info) => {
        this.#epoch = epochOf(info.created)
        done()
      },
      done,
    )
  }

  #subject(kind: 'history' | 'hlive', namespace: string, room: string): string {
    return `${this.#prefix}.${kind}.${escapeToken(namespace)}.${escapeToken(room)}`
  }
}

/**
 * Creates the JetStream history store: pass it as `history.store` to keep histories in JetStream
 * without a NATS cluster adapter (`natsCluster` creates one by itself).
 *
 * @example
 * createGateway({ gateways, history: { rooms: [{ match: 'chat:*' }], store: natsHistoryStore(url) } })
 */
export function natsHistoryStore(connection: string | readonly string[] | NatsConnectionLike, options?: NatsHistoryStoreOptions): NatsHistoryStore {
  return new NatsHistoryStore(connection, options)
}

/** The stream's creation time, compacted: `2026-12-06T12:43:58.352715162Z` → `20261206124358352715162`. */
function epochOf(created: string): string {
  return created.replace(/[^0-9]/g, '')
}

function toEntry(data: Uint8Array, seq: number): StoredEntry | undefined {
  return parseBody(data, seq, '')
}

/** `at\nexceptions\nevent\ndata`, as `append` publishes it. */
function parseBody(data: Uint8Array, offset: number, epoch: string): LiveEntry | undefined {
  const text = DECODER.decode(data)
  const first = text.indexOf('\n')
  const second = text.indexOf('\n', first + 1)
  const third = text.indexOf('\n', second + 1)
  if (first < 0 || second < 0 || third < 0) return undefined
  try {
    const [exceptRooms, exceptConnections, gap] = JSON.parse(text.slice(first + 1, second)) as [string[], string[], 1?]
    const entry = { offset, epoch, at: Number(text.slice(0, first)), exceptRooms, exceptConnections, event: JSON.parse(text.slice(second + 1, third)) as string, data: text.slice(third + 1) }
    return gap === 1 ? { ...entry, gap: true } : entry
  } catch {
    return undefined
  }
}
