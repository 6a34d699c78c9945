import { checkOneOf, checkOptionsObject, checkPositiveInteger, checkPrefix, invalidOption, withDefaults } from '../internal.js'

/** Options of a NATS broker connection: the cluster bus's and the bridge link's. */
export interface NatsConnectionOptions {
  /** Client-level ping interval of connections gangway opens (nats.js's own liveness check; two unanswered pings drop the connection). @default 10000 */
  pingIntervalMs?: number
  /** Pause between reconnect attempts (plus up to half of it as jitter; attempts never stop). @default 500 */
  reconnectTimeWaitMs?: number
  /** How long one attempt to open the connection may take; while the first has not succeeded, the bridge answers `UNAVAILABLE`. @default 5000 */
  connectTimeoutMs?: number
}

/** Default of `pingIntervalMs`. */
export const DEFAULT_NATS_PING_INTERVAL_MS = 10_000
/** Default of `reconnectTimeWaitMs`. */
export const DEFAULT_NATS_RECONNECT_TIME_WAIT_MS = 500

/** The defaults of `NatsConnectionOptions`. */
export const DEFAULT_NATS_CONNECTION_OPTIONS: ResolvedNatsConnectionOptions = Object.freeze({
  pingIntervalMs: DEFAULT_NATS_PING_INTERVAL_MS,
  reconnectTimeWaitMs: DEFAULT_NATS_RECONNECT_TIME_WAIT_MS,
  connectTimeoutMs: 5000,
})

export type ResolvedNatsConnectionOptions = Readonly<Required<NatsConnectionOptions>>

/** Options of the NATS cluster bus (`natsCluster`, `NatsBus`): its connection's. */
export interface NatsBusOptions extends NatsConnectionOptions {}

/** The defaults of `NatsBusOptions`. */
export const DEFAULT_NATS_BUS_OPTIONS: ResolvedNatsBusOptions = DEFAULT_NATS_CONNECTION_OPTIONS

export type ResolvedNatsBusOptions = ResolvedNatsConnectionOptions

/** Options of the JetStream work queues (`natsTransport(url, { jetstream: {...} })`). */
export interface JetStreamOptions {
  /** The stream holding requests. @default '<PREFIX>_REQUESTS' */
  stream?: string
  /** A message not acknowledged this long is redelivered (to any instance). @default 30000 */
  ackWaitMs?: number
  /** Deliveries of one message before JetStream gives up on it. @default 5 */
  maxDeliver?: number
  /** Window in which a request published twice with one id is stored once. @default 120000 */
  duplicateWindowMs?: number
  /** `file` keeps requests across a server restart; `memory` is faster. @default 'file' */
  storage?: 'file' | 'memory'
}

/** The defaults of `JetStreamOptions` (the stream's name derives from the link's prefix). */
export const DEFAULT_JETSTREAM_OPTIONS = Object.freeze({
  ackWaitMs: 30_000,
  maxDeliver: 5,
  duplicateWindowMs: 120_000,
  storage: 'file' as 'file' | 'memory',
})

export type ResolvedJetStreamOptions = Readonly<Required<JetStreamOptions>>

/** Options of the NATS bridge link (`natsTransport`, `NatsLink`): its connection's and its subjects'. */
export interface NatsLinkOptions extends NatsConnectionOptions {
  /** Prefix of every subject. @default 'gangway' */
  prefix?: string
  /**
   * Carry requests on JetStream (a work-queue stream, durable pull consumers,
   * explicit acks, de-duplication by request id): at-least-once, survives a
   * worker dying mid-message. `false` uses core NATS queue groups: at-most-once,
   * the fastest. Requesters and services must agree. @default false
   */
  jetstream?: boolean | JetStreamOptions
}

/** The defaults of `NatsLinkOptions` (core NATS: `jetstream: false`). */
export const DEFAULT_NATS_LINK_OPTIONS = Object.freeze({
  ...DEFAULT_NATS_CONNECTION_OPTIONS,
  prefix: 'gangway',
  jetstream: false as boolean | JetStreamOptions,
})

export interface ResolvedNatsLinkOptions extends ResolvedNatsConnectionOptions {
  readonly prefix: string
  /** `false` for core NATS. */
  readonly jetstream: ResolvedJetStreamOptions | false
}

/** Applies the defaults, checks every option and returns a new frozen object; other fields of `options` are ignored. */
export function resolveNatsBusOptions(options: NatsBusOptions = {}): ResolvedNatsBusOptions {
  return Object.freeze(checkConnection(withDefaults(DEFAULT_NATS_BUS_OPTIONS, checkOptionsObject(options))))
}

/** Applies the defaults, checks every option and returns a new frozen object; other fields of `options` are ignored. */
export function resolveNatsLinkOptions(options: NatsLinkOptions = {}): ResolvedNatsLinkOptions {
  const resolved = checkConnection(withDefaults(DEFAULT_NATS_LINK_OPTIONS, checkOptionsObject(options)))
  checkPrefix('prefix', resolved.prefix)
  return Object.freeze({ ...resolved, jetstream: resolveJetStream(resolved.jetstream, resolved.prefix) })
}

function resolveJetStream(jetstream: boolean | JetStreamOptions, prefix: string): ResolvedJetStreamOptions | false {
  if (jetstream === false) return false
  if (jetstream !== true && (jetstream === null || typeof jetstream !== 'object')) invalidOption('jetstream', 'must be true, false or JetStream options')
  const stream = `${prefix.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()}_REQUESTS`
  const resolved = withDefaults({ ...DEFAULT_JETSTREAM_OPTIONS, stream }, jetstream === true ? {} : jetstream)
  if (typeof resolved.stream !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(resolved.stream)) {
    invalidOption('jetstream.stream', 'must be 1-200 letters, digits, "_" or "-"')
  }
  for (const name of ['ackWaitMs', 'maxDeliver', 'duplicateWindowMs'] as const) checkPositiveInteger(`jetstream.${name}`, resolved[name])
  checkOneOf('jetstream.storage', resolved.storage, ['file', 'memory'])
  return Object.freeze(resolved)
}

function checkConnection<T extends ResolvedNatsConnectionOptions>(resolved: T): T {
  for (const name of ['pingIntervalMs', 'reconnectTimeWaitMs', 'connectTimeoutMs'] as const) checkPositiveInteger(name, resolved[name])
  return resolved
}
