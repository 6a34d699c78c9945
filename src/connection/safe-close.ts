import type { WebSocket } from 'ws'
import { isSendableCloseCode } from '../protocol/close-codes.js'

/**
 * Closes a WebSocket without letting a bad argument throw: `ws` throws a
 * TypeError for codes a peer may not send (1005, 1006, 999, 5000) and a
 * RangeError for reasons over 123 bytes. A bad code becomes 1011; a long
 * reason is cut at a character boundary.
 */
export function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(isSendableCloseCode(code) ? code : 1011, truncateReason(reason))
  } catch {
    ws.terminate()
  }
}

function truncateReason(reason: string): string {
  if (typeof reason !== 'string') return ''
  if (Buffer.byteLength(reason) <= 123) return reason
  let cut = reason.slice(0, 123)
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1)
  return cut
}
