import { z } from 'zod'

/**
 * The payload schemas of the demo gateway (`demo/chat-gateway.ts`), given to
 * every target so that each validates `join` and `publish` exactly the same
 * way. `echo` is not validated anywhere.
 */
export const Room = z.object({ room: z.string().min(1).max(64) })
export const Publish = z.object({ room: z.string().min(1).max(64), payload: z.unknown() })

export type RoomData = z.infer<typeof Room>
export type PublishData = z.infer<typeof Publish>

/** Largest frame every target accepts (gangway's and Socket.IO's default). */
export const MAX_PAYLOAD = 1024 * 1024

/** Ping interval of targets that run their own heartbeat (gangway's default). */
export const HEARTBEAT_MS = 30_000
