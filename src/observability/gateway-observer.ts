import type { BrokerState } from '../broker/broker-state.js'

/**
 * Hooks for metrics and tracing. gangway calls them at each step of a frame's
 * life; when no observer is configured each step costs one `undefined` check.
 * Every method is optional and must not throw (exceptions are swallowed).
 */
export interface GatewayObserver {
  /** A connection was accepted on a gateway (by path). */
  connectionOpened?(gateway: string, namespace: string): void
  /** A connection closed, with its close code. */
  connectionClosed?(gateway: string, namespace: string, code: number): void
  /** An upgrade request was refused with this HTTP status. */
  upgradeRejected?(gateway: string, status: number): void
  /** A frame arrived from a client. */
  frameReceived?(gateway: string, bytes: number): void
  /** Frames were written to a socket in one write. */
  framesSent?(gateway: string, frames: number, bytes: number): void
  /** A frame finished dispatch: `outcome` is `ok` or the error code sent. */
  handled?(gateway: string, event: string, outcome: string, durationMs: number): void
  /** An error frame was sent for a frame that never reached a handler (`BAD_FRAME`, `UNKNOWN_EVENT`, `RATE_LIMITED`, `UNAVAILABLE`). */
  rejected?(gateway: string, code: string): void
  /** An outbox filled up (the connection was closed or a frame dropped, per policy). */
  outboxOverflow?(gateway: string): void
  /** A broker connection (cluster adapter, bridge transport) changed state; see `ReportsBrokerState`. */
  brokerState?(component: string, state: BrokerState): void
  /**
   * Messages a broker component lost and counted, e.g. a cluster adapter's
   * `publishDropped` (the broker was away when this node published) and
   * `broadcastsMissed` (another node's broadcasts that never arrived here).
   */
  messagesLost?(component: string, kind: string, count: number): void
}

const HOOKS = [
  'connectionOpened',
  'connectionClosed',
  'upgradeRejected',
  'frameReceived',
  'framesSent',
  'handled',
  'rejected',
  'outboxOverflow',
  'brokerState',
  'messagesLost',
] as const satisfies ReadonlyArray<keyof GatewayObserver>

/** Combines observers into one that calls each in turn, isolating them from each other's exceptions. */
export function combineObservers(observers: readonly GatewayObserver[]): GatewayObserver | undefined {
  if (observers.length === 0) return undefined
  const combined: Record<string, (...args: unknown[]) => void> = {}
  for (const hook of HOOKS) {
    // Property lookup, so methods on a class prototype count too.
    const targets = observers.filter((observer) => typeof observer[hook] === 'function')
    if (targets.length === 0) continue
    combined[hook] = (...args: unknown[]) => {
      for (const target of targets) {
        try {
          ;(target[hook] as (...a: unknown[]) => void).apply(target, args)
        } catch {
          // An observer must never break the gateway.
        }
      }
    }
  }
  return combined as GatewayObserver
}
