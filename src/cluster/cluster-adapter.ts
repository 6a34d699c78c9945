import { EventEmitter } from 'node:events'
import { GatewayError } from '../errors/gateway-error.js'
import type { TextFrame } from '../protocol/text-frame.js'
import {
  type Adapter,
  answerLocally,
  answersWithList,
  type BroadcastTarget,
  type ClusterQuery,
  type LocalNamespace,
  mergeAnswers,
  type NamespaceAdapter,
  type QueryValue,
} from '../registry/namespace-adapter.js'
import type { ClusterAnswer } from '../contracts/client-server.js'
import type { HistoryStore } from '../contracts/history.js'
import type { BrokerState, BrokerStateListener, MessageLossListener, ReportsBrokerState, ReportsMessageLoss } from '../broker/broker-state.js'
import type { ClusterBus } from './cluster-bus.js'
import { broadcastChannels, ClusterChannels, roomChannel } from './cluster-channels.js'
import { type BroadcastMessage, decodeMessage, encodeBroadcast, encodeControl, FLAG_MULTI_CHANNEL, MessageKind } from './cluster-codec.js'
import { ChannelSequencer, GapTracker, STALE } from './channel-sequence.js'
import { answerFits, type ControlBody, MAX_HISTORY_ROOMS_PER_MESSAGE, parseControl } from './cluster-control.js'
import { ClusterNodes } from './cluster-nodes.js'
import { type ClusterOptions, resolveClusterOptions, type ResolvedClusterOptions } from './cluster-options.js'
import { ClusterPresence } from './cluster-presence.js'
import type { PresenceBody } from './presence-messages.js'

/** The adapter's state: `idle` until a gateway app attaches it, then the broker connection's. */
export type ClusterState = 'idle' | BrokerState

/** Counters since the adapter started. */
export interface ClusterStats {
  /** Messages handed to the broker (one per channel a broadcast goes to). */
  published: number
  /** Messages not sent because the broker was away: cross-node deliveries that were lost. */
  publishDropped: number
  /** Broadcasts received from other nodes. */
  received: number
  /**
   * Broadcasts from other nodes this node never received on a channel it was
   * subscribed to the whole time (lost in a broker outage on the way here):
   * found from the per-channel numbers when the sender's next broadcast on that
   * channel arrives. Together with the senders' `publishDropped`, every
   * cross-node loss is counted once.
   */
  broadcastsMissed: number
  /** Broadcasts that arrived after later ones from the same sender on the same channel (already counted missed), dropped to keep order. */
  lateDropped: number
  /** Extra copies of a broadcast that reached this node on several channels, dropped. */
  duplicatesDropped: number
  /** Messages on our channels that this version could not read, dropped. */
  malformed: number
  /** Times the broker connection was lost (or found dead by the health ping). */
  interruptions: number
  /** Health pings not answered in time. */
  healthCheckFailures: number
}

/** Events of a `ClusterAdapter`. */
export interface ClusterAdapterEvents {
  /** The broker connection changed state. */
  state: [state: ClusterState, previous: ClusterState]
  /** Another node appeared (its first heartbeat). */
  nodeJoined: [nodeId: string]
  /**
   * Another node said goodbye (`'goodbye'`: it closed its connections itself) or
   * went silent for `nodeTimeoutMs` (`'silent'`: killed, frozen or cut off, its
   * connections never closed cleanly).
   */
  nodeLeft: [nodeId: string, why: 'goodbye' | 'silent']
  /**
   * Cross-node broadcasts were lost and counted: `publishDropped` on this node
   * (the broker was away when it published), `broadcastsMissed` on this node
   * (another node's broadcasts that never arrived here).
   */
  loss: [kind: ClusterLossKind, count: number]
}

/** How a cross-node broadcast was lost; see `ClusterStats`. */
export type ClusterLossKind = 'publishDropped' | 'broadcastsMissed'

/** How often, at most, a warning about missed broadcasts is logged. */
const MISSED_LOG_INTERVAL_MS = 5000

interface PendingQuery {
  readonly id: number
  readonly query: ClusterQuery
  value: QueryValue<ClusterQuery>
  readonly nodes: string[]
  readonly expected: Set<string>
  readonly missing: string[]
  readonly resolve: (answer: ClusterAnswer<QueryValue<ClusterQuery>>) => void
  timer: NodeJS.Timeout | undefined
}

/**
 * The cluster protocol over any `ClusterBus` (Redis, NATS, in memory): it
 * makes rooms, users, connection ids and broadcasts span every node.
 *
 * - A node subscribes to a room's or user's channel only while it has local
 *   members, plus its own node channel, the control channel, and one "all"
 *   channel per namespace; nodes without members see none of a room's traffic.
 * - A broadcast is delivered locally at once, encoded once, and published once
 *   per target channel; receivers write the publisher's frame bytes to their
 *   sockets as they are. Each target connection gets it once: a node that
 *   receives it on several channels drops the extra copies, `except` is
 *   applied by each node to its own members, and a node ignores its own messages.
 * - Queries (room sizes, members, disconnecting a user) go to every known node
 *   and wait for answers up to a timeout; answers say who did not reply.
 * - While the broker is away, local delivery goes on, cross-node publishes are
 *   dropped and counted (never queued without bound), and the bus reconnects
 *   and re-subscribes; a health ping of its own detects a connection that is
 *   silently dead.
 *
 * Delivery across nodes is at-most-once, like the brokers' pub/sub: exactly
 * once while the broker is healthy, and messages published while it is away
 * are lost — but never silently: the publisher counts what it could not send
 * (`stats().publishDropped`), and a receiver counts what it sent but never
 * arrived (`stats().broadcastsMissed`, from per-channel sequence numbers).
 */
export class ClusterAdapter extends EventEmitter<ClusterAdapterEvents> implements Adapter, ReportsBrokerState, ReportsMessageLoss {
  readonly bus: ClusterBus
  readonly options: ResolvedClusterOptions
  readonly channels: ClusterChannels
  readonly #namespaces = new Map<string, { local: LocalNamespace; roomChannels: Map<string, string> }>()
  readonly #nodes = new ClusterNodes()
  readonly #requests = new Map<number, PendingQuery>()
  readonly #baseSubscriptions: Promise<void>[] = []
  readonly #stats: ClusterStats = {
    published: 0,
    publishDropped: 0,
    received: 0,
    broadcastsMissed: 0,
    lateDropped: 0,
    duplicatesDropped: 0,
    malformed: 0,
    interruptions: 0,
    healthCheckFailures: 0,
  }
  #nodeId: string | undefined
  #state: ClusterState = 'idle'
  #started: Promise<void> | undefined
  #closing: Promise<void> | undefined
  #seq = 0
  readonly #sequencer = new ChannelSequencer()
  readonly #gaps = new GapTracker()
  #missedLog: { at: number; pending: number; timer: NodeJS.Timeout | undefined } = { at: 0, pending: 0, timer: undefined }
  #nextRequest = 0
  #heartbeat: NodeJS.Timeout | undefined
  #healthTimer: NodeJS.Timeout | undefined
  #checkingHealth = false
  #outage: { since: number; dropped: number } | undefined
  #malformedLogged = 0
  readonly #presence: ClusterPresence
  readonly #historyStore: ((channelPrefix: string) => HistoryStore) | undefined

  /**
   * @param historyStore creates the history store on the same broker (given the channel prefix),
   *   when the app has a `history` option; `redisCluster` and `natsCluster` pass theirs
   */
  constructor(bus: ClusterBus, options: ClusterOptions = {}, historyStore?: (channelPrefix: string) => HistoryStore) {
    super()
    this.#historyStore = historyStore
    this.bus = bus
    this.options = resolveClusterOptions(options)
    this.channels = new ClusterChannels(this.options.channelPrefix)
    const adapter = this
    this.#presence = new ClusterPresence({
      channels: this.channels,
      get connected() {
        return adapter.#state === 'connected'
      },
      send: (channel, body) => this.#sendControl(channel, body),
      nodes: () => this.#nodes.ids(),
      namespace: (name) => this.#namespaces.get(name)?.local,
    })
  }

  get state(): ClusterState {
    return this.#state
  }

  /** Reports the broker connection's state as `cluster:<bus>` to the gateway app (health, metrics). */
  reportBrokerStateTo(listener: BrokerStateListener): void {
    const component = `cluster:${this.bus.name}`
    if (this.#state !== 'idle') listener(component, this.#state)
    this.on('state', (state) => {
      if (state !== 'idle') listener(component, state)
    })
  }

  /** Reports each counted loss (`publishDropped`, `broadcastsMissed`) as `cluster:<bus>` to the gateway app's observers (metrics). */
  reportLossTo(listener: MessageLossListener): void {
    const component = `cluster:${this.bus.name}`
    this.on('loss', (kind, count) => listener(component, kind, count))
  }

  /** This node's id (the gateway app's `nodeId`), once attached. */
  get nodeId(): string | undefined {
    return this.#nodeId
  }

  /** The other nodes currently known to be alive. */
  nodes(): string[] {
    return this.#nodes.ids()
  }

  stats(): ClusterStats {
    return { ...this.#stats }
  }

  /**
   * Resolves once the broker is connected and this node's own channels are
   * subscribed (the app must be created first). Optional: joins and
   * broadcasts work before, and wait or drop as documented.
   */
  async ready(): Promise<void> {
    if (this.#started === undefined) throw new GatewayError('INVALID_ARGUMENT', 'Pass the adapter to createGateway({ adapter }) before awaiting ready()')
    await this.#started
    await Promise.all(this.#baseSubscriptions)
  }

  attach(local: LocalNamespace): NamespaceAdapter {
    if (this.#closing) throw new GatewayError('CLOSED', 'This cluster adapter is closed')
    if (this.#nodeId !== undefined && this.#nodeId !== local.nodeId) {
      throw new GatewayError('CONFIG_INVALID', 'A cluster adapter serves one gateway app: create one adapter per app')
    }
    if (this.#namespaces.has(local.name)) throw new GatewayError('CONFIG_INVALID', `Namespace ${JSON.stringify(local.name)} is attached twice`)
    this.#nodeId = local.nodeId
    const entry = { local, roomChannels: new Map<string, string>() }
    this.#namespaces.set(local.name, entry)
    this.#started ??= this.#start()
    this.#baseSubscriptions.push(this.#subscribeQuietly(this.channels.all(local.name)))
    const name = local.name
    const channels = this.channels
    return {
      broadcast: (target, frame) => {
        // Publish first: the other nodes start while this one writes to its own sockets.
        this.#forward(name, entry.roomChannels, target, frame)
        local.deliverLocal(target, frame)
      },
      roomAdded: (room) => this.#subscribe(roomChannel(channels, name, entry.roomChannels, room)),
      roomRemoved: (room) => this.#unsubscribe(roomChannel(channels, name, entry.roomChannels, room)),
      userAdded: (userId) => this.#subscribe(channels.user(name, userId)),
      userRemoved: (userId) => this.#unsubscribe(channels.user(name, userId)),
      query: (query, timeoutMs) => this.#query(local, query, timeoutMs),
      presence: this.#presence.forNamespace(name, local),
      historyConfigured: (room, config) => void this.#sendControl(this.channels.control, { t: 'hist', ns: name, rooms: [[room, config.size, config.ttlMs]] }),
    }
  }

  /** The history store on this cluster's broker, if its bus has one. */
  historyStore(): HistoryStore | undefined {
    return this.#historyStore?.(this.options.channelPrefix)
  }

  /** Says goodbye to the other nodes, stops timers, answers pending queries and closes the bus. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #start(): Promise<void> {
    this.#setState('connecting')
    const nodeId = this.#nodeId!
    this.#heartbeat = setInterval(() => this.#beat(), this.options.heartbeatIntervalMs)
    this.#heartbeat.unref()
    this.#presence.start(this.options.heartbeatIntervalMs)
    this.#healthTimer = setInterval(() => this.#checkHealth(), this.options.healthCheckIntervalMs)
    this.#healthTimer.unref()
    await this.bus.start({
      message: (channel, payload) => this.#receive(channel, payload),
      state: (state, error) => this.#busStateChanged(state, error),
    })
    if (this.#closing) return
    this.#baseSubscriptions.push(this.#subscribeQuietly(this.channels.control), this.#subscribeQuietly(this.channels.node(nodeId)))
    await Promise.all(this.#baseSubscriptions)
    this.#sendControl(this.channels.control, { t: 'hello' })
    this.#presence.connected()
  }

  async #shutdown(): Promise<void> {
    clearInterval(this.#heartbeat)
    clearInterval(this.#healthTimer)
    clearTimeout(this.#missedLog.timer)
    this.#presence.close()
    if (this.#state === 'connected') this.#sendControl(this.channels.control, { t: 'bye' })
    for (const pending of this.#requests.values()) this.#finish(pending)
    try {
      await this.bus.close()
    } finally {
      this.#setState('closed')
    }
  }

  // --- publishing ---------------------------------------------------------

  #forward(namespace: string, roomChannels: Map<string, string>, target: BroadcastTarget, frame: TextFrame): void {
    const channels = broadcastChannels(this.channels, namespace, roomChannels, target, this.#nodeId!)
    if (channels.length === 0) return
    // Not numbered while the broker is away: the loss is counted here, so receivers must not count it again.
    if (this.#state !== 'connected') return this.#drop(channels.length)
    const seq = (this.#seq = (this.#seq + 1) >>> 0)
    const channelSeqs = this.#sequencer.take(channels)
    const message = encodeBroadcast(this.#nodeId!, channels.length > 1 ? FLAG_MULTI_CHANNEL : 0, seq, namespace, target, this.#sequencer.epoch, channelSeqs, frame)
    for (let i = 0; i < channels.length; i++) {
      if (this.bus.publish(channels[i]!, message)) {
        this.#stats.published++
      } else {
        this.#sequencer.untake(channels[i]!, channelSeqs[i]!)
        this.#drop(1)
      }
    }
  }

  #sendControl(channel: string, body: ControlBody | PresenceBody): boolean {
    if (this.#state !== 'connected') return false
    const sent = this.bus.publish(channel, encodeControl(this.#nodeId!, body))
    if (sent) this.#stats.published++
    return sent
  }

  #drop(count: number): void {
    this.#stats.publishDropped += count
    this.emit('loss', 'publishDropped', count)
    if (this.#outage === undefined) {
      this.#outage = { since: Date.now(), dropped: 0 }
      this.options.logger.warn(
        { bus: this.bus.name, state: this.#state },
        'cluster broker unavailable: cross-node messages are dropped until it is back (local delivery continues)',
      )
    }
    this.#outage.dropped += count
  }

  // --- subscriptions ------------------------------------------------------

  /** join(): waits for the broker's confirmation while connected (up to `subscribeTimeoutMs`), not while it is away. */
  #subscribe(channel: string): Promise<void> | void {
    this.#gaps.track(channel)
    const subscribed = this.bus.subscribe(channel)
    if (this.#state !== 'connected') {
      subscribed.catch((err: unknown) => this.#subscribeFailed(channel, err))
      return
    }
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.options.logger.warn({ bus: this.bus.name, channel, timeoutMs: this.options.subscribeTimeoutMs }, 'cluster subscription not confirmed in time; continuing')
        resolve()
      }, this.options.subscribeTimeoutMs)
      timer.unref()
    })
    const confirmed = subscribed.catch((err: unknown) => this.#subscribeFailed(channel, err))
    return Promise.race([confirmed, timeout]).finally(() => clearTimeout(timer))
  }

  #subscribeQuietly(channel: string): Promise<void> {
    this.#gaps.track(channel)
    return this.bus.subscribe(channel).catch((err: unknown) => this.#subscribeFailed(channel, err))
  }

  #unsubscribe(channel: string): void {
    this.#gaps.untrack(channel)
    this.bus.unsubscribe(channel).catch((err: unknown) => {
      if (!this.#closing) this.options.logger.warn({ bus: this.bus.name, channel, err }, 'cluster unsubscribe failed')
    })
  }

  #subscribeFailed(channel: string, err: unknown): void {
    if (!this.#closing) this.options.logger.error({ bus: this.bus.name, channel, err }, 'cluster subscribe failed')
  }

  // --- receiving ----------------------------------------------------------

  #receive(channel: string, payload: Uint8Array): void {
    let message
    try {
      message = decodeMessage(payload)
    } catch (err) {
      this.#stats.malformed++
      // One line per 1000 bad messages: a misconfigured publisher must not flood the log.
      if (this.#malformedLogged++ % 1000 === 0) this.options.logger.warn({ bus: this.bus.name, channel, err }, 'unreadable cluster message dropped')
      return
    }
    if (message.sender === this.#nodeId) return
    if (message.kind === MessageKind.Broadcast) {
      this.#stats.received++
      const namespace = this.#namespaces.get(message.namespace)
      if (namespace === undefined) return
      // Before deduplication: every copy advances its own channel's numbering.
      if (!this.#inSequence(channel, message, namespace.roomChannels)) return
      if ((message.flags & FLAG_MULTI_CHANNEL) !== 0 && this.#nodes.isDuplicate(message.sender, message.seq)) {
        this.#stats.duplicatesDropped++
        return
      }
      // A copy: the received bytes may be a view into the broker client's read buffer.
      namespace.local.deliverLocal(message.target, Buffer.from(message.frame))
      return
    }
    const body = parseControl(message.body)
    if (body === undefined) {
      if (!this.#presence.receive(message.sender, message.body)) this.#stats.malformed++
      return
    }
    this.#control(message.sender, body)
  }

  /** Counts broadcasts missed before this one on `channel`; false for a late copy (dropped). */
  #inSequence(channel: string, message: BroadcastMessage, roomChannels: Map<string, string>): boolean {
    const { channelSeqs } = message
    let index = 0
    if (channelSeqs.length !== 1) {
      index = broadcastChannels(this.channels, message.namespace, roomChannels, message.target, message.sender).indexOf(channel)
      if (index < 0 || index >= channelSeqs.length) return true // not a channel it numbered: nothing to check
    }
    const missed = this.#gaps.observe(channel, message.sender, message.epoch, channelSeqs[index]!)
    if (missed === STALE) {
      this.#stats.lateDropped++
      return false
    }
    if (missed > 0) this.#missed(missed, channel, message.sender)
    return true
  }

  #missed(count: number, channel: string, sender: string): void {
    this.#presence.lost(sender)
    this.#stats.broadcastsMissed += count
    this.emit('loss', 'broadcastsMissed', count)
    const log = this.#missedLog
    log.pending += count
    if (log.timer !== undefined) return
    // At most one line per interval: the first loss at once, what follows summed up.
    const flush = (first: boolean) => {
      log.timer = undefined
      if (log.pending === 0) return
      this.options.logger.warn(
        { bus: this.bus.name, missed: log.pending, totalMissed: this.#stats.broadcastsMissed, ...(first ? { channel, sender } : {}) },
        'cluster broadcasts from other nodes were lost on the way here (broker outage?)',
      )
      log.pending = 0
      log.at = Date.now()
      log.timer = setTimeout(() => flush(false), MISSED_LOG_INTERVAL_MS)
      log.timer.unref()
    }
    if (Date.now() - log.at >= MISSED_LOG_INTERVAL_MS) flush(true)
    else {
      log.timer = setTimeout(() => flush(false), MISSED_LOG_INTERVAL_MS - (Date.now() - log.at))
      log.timer.unref()
    }
  }

  #control(sender: string, body: ControlBody): void {
    if (body.t === 'bye') {
      // A clean goodbye: it sent everything (a later process with its id has another epoch anyway).
      this.#gaps.forgetSender(sender)
      if (this.#nodes.remove(sender)) this.#nodeGone(sender, 'goodbye')
      return
    }
    const joined = this.#nodes.touch(sender, Date.now())
    if (joined) this.emit('nodeJoined', sender)
    if (body.t === 'hello') this.#presence.hello(sender)
    else if (joined) this.#presence.nodeJoined(sender)
    switch (body.t) {
      case 'hello':
        // Tell the newcomer about us now rather than at our next heartbeat.
        this.#sendControl(this.channels.node(sender), { t: 'alive' })
        this.#sendHistoryRooms(sender)
        return
      case 'hist': {
        const local = this.#namespaces.get(body.ns)?.local
        if (local !== undefined) for (const [room, size, ttlMs] of body.rooms) local.historyConfigured(room, { size, ttlMs })
        return
      }
      case 'alive':
        return
      case 'req': {
        const namespace = this.#namespaces.get(body.ns)
        const value = namespace ? answerLocally(namespace.local, body.q) : answersWithList(body.q) ? [] : 0
        this.#sendControl(this.channels.node(sender), { t: 'res', id: body.id, v: value })
        return
      }
      case 'res': {
        const pending = this.#requests.get(body.id)
        if (pending === undefined || pending.nodes.includes(sender)) return
        if (!answerFits(pending.query, body.v)) return
        pending.value = mergeAnswers(pending.query, pending.value, body.v)
        pending.nodes.push(sender)
        pending.expected.delete(sender)
        if (pending.expected.size === 0) this.#finish(pending)
      }
    }
  }

  /** Tells a node that said hello which rooms joins on this node (or relayed to it) turned history on for. */
  #sendHistoryRooms(nodeId: string): void {
    for (const [ns, { local }] of this.#namespaces) {
      let batch: Array<[string, number, number]> = []
      const flush = () => {
        if (batch.length > 0) this.#sendControl(this.channels.node(nodeId), { t: 'hist', ns, rooms: batch })
        batch = []
      }
      for (const [room, config] of local.historyRooms()) {
        batch.push([room, config.size, config.ttlMs])
        if (batch.length === MAX_HISTORY_ROOMS_PER_MESSAGE) flush()
      }
      flush()
    }
  }

  // --- queries ------------------------------------------------------------

  #query<Q extends ClusterQuery>(local: LocalNamespace, query: Q, timeoutMs: number): Promise<ClusterAnswer<QueryValue<Q>>> {
    const value = answerLocally(local, query)
    const self = this.#nodeId!
    const others = this.#nodes.ids()
    if (others.length === 0) return Promise.resolve({ value, nodes: [self], missing: [], complete: true })
    return new Promise((resolve) => {
      const id = (this.#nextRequest = (this.#nextRequest + 1) % Number.MAX_SAFE_INTEGER)
      const pending: PendingQuery = {
        id,
        query,
        value,
        nodes: [self],
        expected: new Set(others),
        missing: [],
        resolve: resolve as PendingQuery['resolve'],
        timer: undefined,
      }
      this.#requests.set(id, pending)
      if (!this.#sendControl(this.channels.control, { t: 'req', id, ns: local.name, q: query })) return this.#finish(pending)
      pending.timer = setTimeout(() => this.#finish(pending), timeoutMs)
    })
  }

  #finish(pending: PendingQuery): void {
    clearTimeout(pending.timer)
    this.#requests.delete(pending.id)
    const missing = [...pending.missing, ...pending.expected]
    pending.resolve({ value: pending.value, nodes: pending.nodes, missing, complete: missing.length === 0 })
  }

  #nodeGone(nodeId: string, why: 'goodbye' | 'silent'): void {
    this.#presence.nodeGone(nodeId)
    this.emit('nodeLeft', nodeId, why)
    for (const pending of [...this.#requests.values()]) {
      if (pending.expected.delete(nodeId)) {
        pending.missing.push(nodeId)
        if (pending.expected.size === 0) this.#finish(pending)
      }
    }
  }

  // --- liveness -----------------------------------------------------------

  #beat(): void {
    this.#sendControl(this.channels.control, { t: 'alive' })
    for (const nodeId of this.#nodes.expire(Date.now(), this.options.nodeTimeoutMs)) {
      this.options.logger.info({ bus: this.bus.name, nodeId }, 'cluster node went silent; forgetting it')
      this.#nodeGone(nodeId, 'silent')
    }
  }

  #checkHealth(): void {
    if (this.#checkingHealth || this.#closing || this.bus.state !== 'connected') return
    this.#checkingHealth = true
    const { healthCheckTimeoutMs } = this.options
    let settled = false
    const settle = (healthy: boolean, err?: unknown) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      this.#checkingHealth = false
      if (this.#closing || this.bus.state !== 'connected') return
      if (healthy) {
        // A reconnect we asked for may have completed without the bus changing state.
        if (this.#state === 'reconnecting') this.#busStateChanged('connected')
        return
      }
      this.#stats.healthCheckFailures++
      this.options.logger.warn({ bus: this.bus.name, timeoutMs: healthCheckTimeoutMs, err }, 'cluster broker did not answer a health ping; reconnecting')
      this.#busStateChanged('reconnecting')
      this.bus.reconnect()
    }
    const timer = setTimeout(() => settle(false), healthCheckTimeoutMs)
    timer.unref()
    this.bus.ping().then(
      () => settle(true),
      (err: unknown) => settle(false, err),
    )
  }

  #busStateChanged(state: BrokerState, error?: Error): void {
    if (this.#closing && state !== 'closed') return
    const previous = this.#state
    if (state === previous) return
    if (state === 'connected') {
      const outage = this.#outage
      this.#outage = undefined
      if (previous === 'reconnecting') {
        this.options.logger.info(
          { bus: this.bus.name, downMs: outage ? Date.now() - outage.since : undefined, publishesDropped: outage?.dropped ?? 0 },
          'cluster broker connection restored; subscriptions re-established',
        )
      }
      this.#setState(state)
      // Nodes that forgot us during the outage learn about us again.
      if (previous === 'reconnecting') {
        this.#sendControl(this.channels.control, { t: 'hello' })
        this.#presence.connected()
      }
      return
    }
    const forGood = state === 'disconnected' || (state === 'closed' && !this.#closing)
    if (previous === 'connected') {
      this.#stats.interruptions++
      this.#outage ??= { since: Date.now(), dropped: 0 }
      if (!forGood) this.options.logger.warn({ bus: this.bus.name, state, err: error }, 'cluster broker connection lost; local delivery continues, reconnecting')
    }
    if (forGood) {
      this.options.logger.error({ bus: this.bus.name, err: error }, 'cluster broker connection closed for good; cross-node delivery stopped')
    }
    this.#setState(state)
  }

  #setState(state: ClusterState): void {
    const previous = this.#state
    if (state === previous) return
    this.#state = state
    this.emit('state', state, previous)
  }
}

/**
 * Creates a cluster adapter over a bus. `gangway-ws/redis` and `gangway-ws/nats`
 * wrap this with their bus; use it directly for a bus of your own.
 *
 * @example
 * const cluster = clusterAdapter(myBus, { channelPrefix: 'chat' })
 * const app = createGateway({ gateways: [new ChatGateway()], adapter: cluster })
 */
export function clusterAdapter(bus: ClusterBus, options?: ClusterOptions): ClusterAdapter {
  return new ClusterAdapter(bus, options)
}
