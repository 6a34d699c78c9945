/**
 * The state of a connection to a broker (Redis, NATS, RabbitMQ) held by a
 * cluster adapter or a bridge transport.
 * - `connecting`: first connection attempt in progress;
 * - `connected`: usable;
 * - `reconnecting`: lost, retrying (messages may be queued or refused);
 * - `disconnected`: lost, not retrying;
 * - `closed`: closed on purpose (shutdown).
 */
export type BrokerState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'closed'

/** Receives broker state changes: `component` names the connection, e.g. `cluster:redis` or `bridge:amqp`. */
export type BrokerStateListener = (component: string, state: BrokerState) => void

/**
 * Implemented by anything that holds a broker connection and is handed to
 * `createGateway` (a cluster adapter, a bridge transport). The app calls
 * `reportBrokerStateTo` once at construction; the component then reports
 * every change of state (its current one first). The app keeps the latest
 * state for health checks (`app.brokers`) and passes each change to the
 * observers (`brokerState`), where metrics count reconnects.
 */
export interface ReportsBrokerState {
  reportBrokerStateTo(listener: BrokerStateListener): void
}

/**
 * Receives counts of messages a broker component lost and counted: `kind` is
 * the component's own name for the loss (a cluster adapter: `publishDropped`,
 * `broadcastsMissed`).
 */
export type MessageLossListener = (component: string, kind: string, count: number) => void

/** Implemented by a component that counts the messages it lost (a cluster adapter); the app passes each count to the observers. */
export interface ReportsMessageLoss {
  reportLossTo(listener: MessageLossListener): void
}

/** Whether a component can report lost messages. */
export function reportsMessageLoss(value: unknown): value is ReportsMessageLoss {
  return typeof value === 'object' && value !== null && typeof (value as Partial<ReportsMessageLoss>).reportLossTo === 'function'
}

export const BROKER_STATES: readonly BrokerState[] = Object.freeze(['connecting', 'connected', 'reconnecting', 'disconnected', 'closed'])

/** Whether a component can report its broker state. */
export function reportsBrokerState(value: unknown): value is ReportsBrokerState {
  return typeof value === 'object' && value !== null && typeof (value as Partial<ReportsBrokerState>).reportBrokerStateTo === 'function'
}
