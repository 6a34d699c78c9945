import type { ProtocolName } from './wire-protocol.js'
import type { WriteMode } from './write-mode.js'

/** What a scenario is run with: the same for a run's spec and for each generator's share of it. */
export type ScenarioParams =
  | { readonly scenario: 'rpc'; readonly connections: number; readonly inflight: number; readonly messageBytes?: number; readonly writes: WriteMode }
  | { readonly scenario: 'fanout'; readonly subscribers: number; readonly publishWindow: number; readonly writes: WriteMode }
  | { readonly scenario: 'idle'; readonly connections: number }

/** One generator's share of a run. */
export type GeneratorConfig = ScenarioParams & CommonConfig

interface CommonConfig {
  readonly port: number
  readonly path: string
  readonly protocol: ProtocolName
  /** Loopback source addresses to spread connections over. */
  readonly sourceAddresses: readonly string[]
  /** Handshakes in progress at once while connecting. */
  readonly connectConcurrency: number
  readonly connectTimeoutMs: number
}

/** Orchestrator → generator. */
export type GeneratorCommand =
  | { readonly type: 'config'; readonly config: GeneratorConfig }
  /** Idle: open this many more connections, then report `ready` again (with the new total). */
  | { readonly type: 'open'; readonly connections: number }
  | { readonly type: 'run' }
  | { readonly type: 'reset' }
  | { readonly type: 'snapshot' }
  | { readonly type: 'stop' }

/** What a generator measured over the window. */
export interface GeneratorSnapshot {
  /** Replies (rpc) or deliveries (fanout) completed in the window. */
  readonly operations: number
  readonly wallMs: number
  /** Generator CPU time over the window, µs. */
  readonly cpuMicros: number
  readonly latency: Array<[number, number]>
  readonly failures: number
  /** Connections that closed unexpectedly since setup. */
  readonly closed: number
  /** Fanout: publishes sent in the window. */
  readonly published: number
  /** Frames sent in the window, and how many of them shared a write with earlier ones (see frame-write-counter.ts). */
  readonly frames: number
  readonly framesJoined: number
}

/** Generator → orchestrator. */
export type GeneratorReport =
  | { readonly type: 'ready'; readonly connections: number }
  | { readonly type: 'snapshot'; readonly snapshot: GeneratorSnapshot }
  | { readonly type: 'fatal'; readonly message: string }

/** Orchestrator → server host. */
export type ServerCommand = { readonly type: 'usage'; readonly seq: number; readonly gc: boolean } | { readonly type: 'exit' }

/** Server CPU and memory at one moment. */
export interface ServerUsage {
  readonly seq: number
  readonly at: number
  readonly cpuMicros: number
  readonly rss: number
  readonly heapUsed: number
  /** Memory V8 has committed for its heap (used or not). */
  readonly heapTotal: number
}

/** Server host → orchestrator. */
export type ServerReport = { readonly type: 'ready'; readonly port: number } | ({ readonly type: 'usage' } & ServerUsage) | { readonly type: 'fatal'; readonly message: string }
