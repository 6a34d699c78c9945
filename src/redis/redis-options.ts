import { checkOptionsObject, checkPositiveInteger, checkPrefix, withDefaults } from '../internal.js'

/** Options of a Redis broker connection: the cluster bus's and the bridge link's. */
export interface RedisConnectionOptions {
  /** The longest pause between reconnect attempts (with jitter; attempts never stop). @default 2000 */
  maxReconnectDelayMs?: number
}

/** Default of `maxReconnectDelayMs`. */
export const DEFAULT_MAX_RECONNECT_DELAY_MS = 2000

/** The defaults of `RedisConnectionOptions`. */
export const DEFAULT_REDIS_CONNECTION_OPTIONS: ResolvedRedisConnectionOptions = Object.freeze({
  maxReconnectDelayMs: DEFAULT_MAX_RECONNECT_DELAY_MS,
})

export type ResolvedRedisConnectionOptions = Readonly<Required<RedisConnectionOptions>>

/** Options of the Redis cluster bus (`redisCluster`, `RedisBus`): its connection's. */
export interface RedisBusOptions extends RedisConnectionOptions {}

/** The defaults of `RedisBusOptions`. */
export const DEFAULT_REDIS_BUS_OPTIONS: ResolvedRedisBusOptions = DEFAULT_REDIS_CONNECTION_OPTIONS

export type ResolvedRedisBusOptions = ResolvedRedisConnectionOptions

/** Options of the Redis bridge link (`redisTransport`, `RedisLink`): its connection's, its keys and its consumer group's. */
export interface RedisLinkOptions extends RedisConnectionOptions {
  /** Prefix of every key and channel. @default 'gangway' */
  prefix?: string
  /** A request pending this long on a consumer (a worker that died) is claimed by another. @default 30000 */
  claimIdleMs?: number
  /** How often a service looks for such requests. @default 5000 */
  claimIntervalMs?: number
  /** How long one blocking read waits before looking again. @default 2000 */
  blockMs?: number
  /** How long the first connection may take before requests fail `UNAVAILABLE` (reconnection goes on). @default 5000 */
  connectTimeoutMs?: number
}

/** The defaults of `RedisLinkOptions`. */
export const DEFAULT_REDIS_LINK_OPTIONS: ResolvedRedisLinkOptions = Object.freeze({
  ...DEFAULT_REDIS_CONNECTION_OPTIONS,
  prefix: 'gangway',
  claimIdleMs: 30_000,
  claimIntervalMs: 5000,
  blockMs: 2000,
  connectTimeoutMs: 5000,
})

export type ResolvedRedisLinkOptions = Readonly<Required<RedisLinkOptions>>

/** Applies the defaults, checks every option and returns a new frozen object; other fields of `options` are ignored. */
export function resolveRedisBusOptions(options: RedisBusOptions = {}): ResolvedRedisBusOptions {
  return Object.freeze(checkConnection(withDefaults(DEFAULT_REDIS_BUS_OPTIONS, checkOptionsObject(options))))
}

/** Applies the defaults, checks every option and returns a new frozen object; other fields of `options` are ignored. */
export function resolveRedisLinkOptions(options: RedisLinkOptions = {}): ResolvedRedisLinkOptions {
  const resolved = checkConnection(withDefaults(DEFAULT_REDIS_LINK_OPTIONS, checkOptionsObject(options)))
  checkPrefix('prefix', resolved.prefix)
  for (const name of ['claimIdleMs', 'claimIntervalMs', 'blockMs', 'connectTimeoutMs'] as const) checkPositiveInteger(name, resolved[name])
  return Object.freeze(resolved)
}

function checkConnection<T extends ResolvedRedisConnectionOptions>(resolved: T): T {
  checkPositiveInteger('maxReconnectDelayMs', resolved.maxReconnectDelayMs)
  return resolved
}
