import { createHash } from 'node:crypto'
import {
  escapeToken,
  GatewayError,
  onReconnected,
  silentLogger,
  newEpoch,
  type HistoryAppend,
  type HistoryRange,
  type HistoryReadRequest,
  type HistoryStore,
  type HistoryStoreEvents,
  type LiveEntry,
  type RoomHistoryConfig,
  type StoredEntry,
} from '../internal.js'
import { RedisBrokerConnection, type RedisClientRole } from './redis-broker-connection.js'
import { PUBLISHER, RedisBus } from './redis-bus.js'
import type { RedisClientLike, RedisConnectionLike } from './redis-client-like.js'
import { APPEND_SCRIPT, READ_SCRIPT } from './redis-history-scripts.js'
import { resolveRedisBusOptions } from './redis-options.js'

/** Options of the Redis history store. */
export interface RedisHistoryStoreOptions {
  /** Prefix of its keys and channels (`redisCluster` passes its `channelPrefix`). @default 'gangway' */
  prefix?: string
  /**
   * How long a room's epoch and last offset outlive its last message. Past it, the room starts a
   * new epoch and resuming clients get `epoch-changed`. @default 86400000 (a day)
   */
  epochTtlMs?: number
  /** Longest wait between reconnect attempts. @default 5000 */
  maxReconnectDelayMs?: number
}

/** Fails fast while disconnected, like the bus's publisher: a history command is never queued or sent twice. */
const COMMANDS: RedisClientRole = Object.freeze({ ...PUBLISHER, name: 'history', autoPipelining: true })

const APPEND_SHA = sha1(APPEND_SCRIPT)
const READ_SHA = sha1(READ_SCRIPT)

/**
 * Rooms' histories in Redis Streams, for gateways on `redisCluster`. One Lua script assigns a
 * message its offset (a per-room counter, also the stream entry's id), appends it (`XADD …
 * MAXLEN ~ size`, `PEXPIRE ttl`) and PUBLISHes it in the same atomic step, so every node's
 * subscriber receives a room's messages in offset order. Reads are one script too (`XRANGE`),
 * filtered to the room's `size` and `ttlMs` exactly. A room whose keys are gone (expired,
 * evicted, `FLUSHALL`) starts a new epoch.
 */
export class RedisHistoryStore implements HistoryStore {
  readonly name = 'redis'
  readonly #prefix: string
  readonly #epochTtlMs: number
  readonly #connection: RedisBrokerConnection
  readonly #commands: RedisConnectionLike
  readonly #bus: RedisBus
  /** Subscribed channels → their namespace and room. */
  readonly #channels = new Map<string, { namespace: string; room: string }>()
  /** Rooms whose next append starts a new epoch (this node lost a message of theirs). */
  readonly #resets = new Set<string>()
  #events: HistoryStoreEvents | undefined
  #closed = false

  constructor(connection: string | RedisClientLike, options: RedisHistoryStoreOptions = {}) {
    this.#prefix = options.prefix ?? 'gangway'
    this.#epochTtlMs = options.epochTtlMs ?? 86_400_000
    if (!Number.isSafeInteger(this.#epochTtlMs) || this.#epochTtlMs <= 0) throw new GatewayError('CONFIG_INVALID', 'Option "epochTtlMs" must be a positive integer')
    const busOptions = resolveRedisBusOptions({ maxReconnectDelayMs: options.maxReconnectDelayMs })
    this.#connection = new RedisBrokerConnection(connection, busOptions, 'history', () => this.#events?.logger ?? silentLogger)
    this.#commands = this.#connection.open(COMMANDS)
    this.#bus = new RedisBus(connection, busOptions)
  }

  async start(events: HistoryStoreEvents): Promise<void> {
    this.#events = events
    this.#connection.connect(this.#commands)
    await this.#bus.start({
      message: (channel, payload) => this.#receive(channel, payload),
      // Back after a lost subscriber connection: messages published meanwhile went by unseen.
      state: onReconnected(() => this.#events?.interrupted?.()),
    })
  }

  async append(namespace: string, room: string, message: HistoryAppend, config: RoomHistoryConfig): Promise<void> {
    const base = this.#key(namespace, room)
    const reset = this.#resets.delete(base) ? '1' : '0'
    const exceptions = JSON.stringify([message.exceptRooms, message.exceptConnections])
    try {
      await this.#run(APPEND_SHA, APPEND_SCRIPT, [base, `${base}.meta`], [
        this.#channel(namespace, room),
        newEpoch(),
        config.size,
        config.ttlMs,
        Date.now(),
        JSON.stringify(message.event),
        message.data,
        exceptions,
        reset,
        Math.max(this.#epochTtlMs, config.ttlMs),
      ])
    } catch (err) {
      if (reset === '1') this.#resets.add(base)
      throw err
    }
  }

  async subscribe(namespace: string, room: string): Promise<void> {
    const channel = this.#channel(namespace, room)
    this.#channels.set(channel, { namespace, room })
    await this.#bus.subscribe(channel)
  }

  unsubscribe(namespace: string, room: string): void {
    const channel = this.#channel(namespace, room)
    this.#channels.delete(channel)
    this.#bus.unsubscribe(channel).catch(() => {})
  }

  async read(namespace: string, room: string, request: HistoryReadRequest, config: RoomHistoryConfig): Promise<HistoryRange> {
    const base = this.#key(namespace, room)
    const after = 'after' in request
    const answer = (await this.#run(READ_SHA, READ_SCRIPT, [base, `${base}.meta`], [
      after ? 'after' : 'last',
      after ? request.after : request.last,
      request.limit,
      newEpoch(),
      Math.max(this.#epochTtlMs, config.ttlMs),
    ])) as [string, number, Array<[string, string[]]>]
    const [epoch, top, raw] = answer
    // Trimming is approximate (MAXLEN ~) and expiry per key: hold every room to its size and ttl exactly here.
    const oldest = Math.max(1, top - config.size + 1)
    const expired = Date.now() - config.ttlMs
    const entries: StoredEntry[] = []
    for (const [id, fields] of after ? raw : raw.reverse()) {
      const entry = toEntry(id, fields)
      if (entry !== undefined && entry.offset >= oldest && entry.at >= expired) entries.push(entry)
    }
    const complete = !after || (entries.length === 0 ? request.after >= top : entries[0]!.offset === request.after + 1)
    return { epoch, top, entries, complete }
  }

  resetEpoch(namespace: string, room: string): void {
    this.#resets.add(this.#key(namespace, room))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all([this.#bus.close(), this.#connection.close()])
  }

  async #run(sha: string, script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    if (!this.#connection.isUp(this.#commands)) throw new GatewayError('UNAVAILABLE', 'The Redis history store is not connected')
    try {
      return await this.#commands.evalsha(sha, keys.length, ...keys, ...args)
    } catch (err) {
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err
      return this.#commands.eval(script, keys.length, ...keys, ...args)
    }
  }

  #receive(channel: string, payload: Uint8Array): void {
    const target = this.#channels.get(channel)
    if (target === undefined) return
    const entry = parseLive(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'))
    if (entry !== undefined) this.#events?.entry(target.namespace, target.room, entry)
  }

  /** The room's stream key; its meta hash adds `.meta`. The braces keep both in one Redis Cluster slot. */
  #key(namespace: string, room: string): string {
    return `${this.#prefix}.history.{${escapeToken(namespace)}.${escapeToken(room)}}`
  }

  #channel(namespace: string, room: string): string {
    return `${this.#prefix}.hlive.${escapeToken(namespace)}.${escapeToken(room)}`
  }
}

/**
 * Creates the Redis history store: pass it as `history.store` to keep histories in Redis
 * without a Redis cluster adapter (`redisCluster` creates one by itself).
 *
 * @example
 * createGateway({ gateways, history: { rooms: [{ match: 'chat:*' }], store: redisHistoryStore(url) } })
 */
export function redisHistoryStore(connection: string | RedisClientLike, options?: RedisHistoryStoreOptions): RedisHistoryStore {
  return new RedisHistoryStore(connection, options)
}

function toEntry(id: string, fields: string[]): StoredEntry | undefined {
  let at = 0
  let event: string | undefined
  let data: string | undefined
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 't') at = Number(fields[i + 1])
    else if (fields[i] === 'v') event = JSON.parse(fields[i + 1]!) as string
    else if (fields[i] === 'd') data = fields[i + 1]
  }
  if (event === undefined || data === undefined) return undefined
  return { offset: Number.parseInt(id, 10), event, data, at }
}

/** `offset\nepoch\nat\nexceptions\nevent\ndata`, as the append script publishes it. */
function parseLive(text: string): LiveEntry | undefined {
  const parts: string[] = []
  let from = 0
  for (let i = 0; i < 5; i++) {
    const end = text.indexOf('\n', from)
    if (end < 0) return undefined
    parts.push(text.slice(from, end))
    from = end + 1
  }
  try {
    const [exceptRooms, exceptConnections] = JSON.parse(parts[3]!) as [string[], string[]]
    return { offset: Number(parts[0]), epoch: parts[1]!, at: Number(parts[2]), exceptRooms, exceptConnections, event: JSON.parse(parts[4]!) as string, data: text.slice(from) }
  } catch {
    return undefined
  }
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex')
}
