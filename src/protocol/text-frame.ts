/**
 * Server-to-client WebSocket text frames (RFC 6455 §5.2: FIN set, opcode 1,
 * unmasked), built in one allocation. gangway writes these straight to the
 * socket so a broadcast is framed once and the same bytes go to every
 * recipient, instead of `ws` framing the payload again for each socket.
 */

/** A complete text frame, header and payload, ready for `socket.write`. */
export type TextFrame = Buffer

/**
 * A complete text frame as a `latin1` string, one character per byte: what a
 * reply with an ASCII-only payload is framed as. Writing it with the `latin1`
 * encoding costs no buffer allocation, and the frames queued for one socket can
 * be joined into one string for one write. `.length` is its size in bytes.
 */
export type Latin1Frame = string

/** What a connection's outbox holds: shared framed buffers and per-connection latin1 frames. */
export type OutboundFrame = TextFrame | Latin1Frame

const FIN_TEXT = 0x81

/** Frames a JSON string. */
export function encodeTextFrame(json: string): TextFrame {
  const length = Buffer.byteLength(json)
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + length)
  writeHeader(frame, length, headerLength)
  frame.write(json, headerLength, length, 'utf8')
  return frame
}

/** Frames a JSON string as a latin1 string when it is ASCII-only (most replies), as a buffer otherwise. */
export function encodeOutboundFrame(json: string): OutboundFrame {
  const length = json.length
  // UTF-8 takes one byte per character exactly when every character is ASCII.
  if (Buffer.byteLength(json) !== length) return encodeTextFrame(json)
  if (length < 126) return HEADER_SHORT[length]! + json
  if (length < 65536) return '\x81~' + String.fromCharCode(length >>> 8, length & 0xff) + json
  return encodeTextFrame(json)
}

/** `0x81` and the 7-bit length, as latin1 strings, for every length below 126. */
const HEADER_SHORT: readonly string[] = Array.from({ length: 126 }, (_, length) => String.fromCharCode(FIN_TEXT, length))

/** Frames payload bytes that are already UTF-8 JSON (for example, received from another node). */
export function encodeTextFrameFromBytes(payload: Uint8Array): TextFrame {
  const length = payload.byteLength
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + length)
  writeHeader(frame, length, headerLength)
  frame.set(payload, headerLength)
  return frame
}

/** The JSON payload of a frame built by this module, without its header. */
export function textFramePayload(frame: TextFrame): Buffer {
  const marker = frame[1]! & 0x7f
  const headerLength = marker < 126 ? 2 : marker === 126 ? 4 : 10
  return frame.subarray(headerLength)
}

function writeHeader(frame: Buffer, length: number, headerLength: number): void {
  frame[0] = FIN_TEXT
  if (headerLength === 2) {
    frame[1] = length
  } else if (headerLength === 4) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
}
