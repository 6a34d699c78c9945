import { invalidOption, withoutUndefined } from '../errors/option-checks.js'
import { createConsoleLogger, defaultLogLevel, type Logger } from '../logging/logger.js'
import { isValidChannelPrefix } from './cluster-channels.js'

/** Options of a cluster adapter (`clusterAdapter`, `redisCluster`, `natsCluster`). */
export interface ClusterOptions {
  /** Starts every channel name; nodes with the same prefix on one broker form one cluster. @default 'gangway' */
  channelPrefix?: string
  /** How often a node announces itself to the others. @default 2000 */
  heartbeatIntervalMs?: number
  /** A node not heard from for this long is considered gone (queries stop waiting for it). @default 7000 */
  nodeTimeoutMs?: number
  /**
   * How often the adapter sends its own ping through the broker. A broker
   * that stopped answering (a half-open TCP connection, a frozen server) is
   * detected within `healthCheckIntervalMs + healthCheckTimeoutMs`, instead of
   * after the minutes a TCP keepalive takes. @default 2500
   */
  healthCheckIntervalMs?: number
  /** How long a health ping may take before the connection is dropped and re-established. @default 2500 */
  healthCheckTimeoutMs?: number
  /**
   * How long `client.join(room)` waits for the broker to confirm the room's
   * subscription. After that it resolves anyway (the member is joined locally
   * and the subscription completes later) and a warning is logged. @default 5000
   */
  subscribeTimeoutMs?: number
  /** Where state changes, lost publishes and bad messages are logged. @default JSON lines to stderr at `GANGWAY_LOG_LEVEL` or 'warn' */
  logger?: Logger
}

export const DEFAULT_CLUSTER_OPTIONS = Object.freeze({
  channelPrefix: 'gangway',
  heartbeatIntervalMs: 2000,
  nodeTimeoutMs: 7000,
  healthCheckIntervalMs: 2500,
  healthCheckTimeoutMs: 2500,
  subscribeTimeoutMs: 5000,
})

export type ResolvedClusterOptions = Readonly<Required<ClusterOptions>>

/** Applies defaults, checks every option and returns a new frozen object. */
export function resolveClusterOptions(options: ClusterOptions = {}): ResolvedClusterOptions {
  if (options === null || typeof options !== 'object') invalidOption('options', 'must be an object')
  const resolved = {
    ...DEFAULT_CLUSTER_OPTIONS,
    ...withoutUndefined(options),
    logger: options.logger ?? createConsoleLogger(defaultLogLevel()),
  }
  if (!isValidChannelPrefix(resolved.channelPrefix)) {
    invalidOption('channelPrefix', 'must be 1-64 characters: dot-separated tokens of letters, digits, "_" or "-"')
  }
  for (const name of ['heartbeatIntervalMs', 'nodeTimeoutMs', 'healthCheckIntervalMs', 'healthCheckTimeoutMs', 'subscribeTimeoutMs'] as const) {
    const value = resolved[name]
    if (!Number.isSafeInteger(value) || value <= 0) invalidOption(name, `must be a positive integer, got ${String(value)}`)
  }
  if (resolved.nodeTimeoutMs <= resolved.heartbeatIntervalMs) invalidOption('nodeTimeoutMs', 'must be longer than heartbeatIntervalMs')
  return Object.freeze(resolved)
}
