import type { ProtocolName } from './wire-protocol.js'

/** A server under test, as the harness knows it. */
export interface TargetInfo {
  /** Display name. */
  readonly label: string
  /** Module under `dist/bench/` exporting `start()`. */
  readonly module: string
  readonly protocol: ProtocolName
  /** Upgrade request target. */
  readonly path: string
  /** One-line description for BENCHMARKS.md. */
  readonly description: string
}

const SOCKET_IO_PATH = '/socket.io/?EIO=4&transport=websocket'

export const TARGETS = {
  gangway: {
    label: 'gangway',
    module: 'targets/gangway.js',
    protocol: 'envelope',
    path: '/ws',
    description: 'the demo `ChatGateway` (`demo/chat-gateway.ts`) with `createGateway` on a plain HTTP server',
  },
  'raw-ws': {
    label: 'raw ws',
    module: 'targets/raw-ws.js',
    protocol: 'envelope',
    path: '/ws',
    description: 'hand-written JSON dispatch and rooms on `ws` (`bench/targets/raw-ws.ts`)',
  },
  'socket.io': {
    label: 'Socket.IO',
    module: 'targets/socket-io.js',
    protocol: 'socket.io',
    path: SOCKET_IO_PATH,
    description: 'Socket.IO v4, WebSocket transport only, acks and rooms (`bench/targets/socket-io.ts`)',
  },
  'nest-ws': {
    label: 'NestJS (ws)',
    module: 'targets/nest/nest-ws.js',
    protocol: 'envelope',
    path: '/ws',
    description: '`@WebSocketGateway` + `@SubscribeMessage` on `@nestjs/platform-ws` (`bench/targets/nest/nest-ws.ts`)',
  },
  'nest-socket.io': {
    label: 'NestJS (Socket.IO)',
    module: 'targets/nest/nest-socket-io.js',
    protocol: 'socket.io',
    path: SOCKET_IO_PATH,
    description: '`@WebSocketGateway` + `@SubscribeMessage` on `@nestjs/platform-socket.io` (`bench/targets/nest/nest-socket-io.ts`)',
  },
} as const satisfies Record<string, TargetInfo>

export type TargetName = keyof typeof TARGETS
export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[]
/** Every figure is also given as a ratio to this target. */
export const BASELINE: TargetName = 'raw-ws'
