/**
 * The two wire protocols the targets speak, as the generator needs them:
 * request templates with the request id in the middle, and a classifier that
 * looks at a few bytes of each frame instead of parsing it.
 *
 * - `envelope`: gangway's `{"event","data","id"}` (raw ws and the NestJS ws
 *   target speak it too; Nest ignores `id` and replies `{event, data}`).
 * - `socket.io`: Engine.IO v4 / Socket.IO v5 packets over a WebSocket:
 *   `42<ack>["event",data]` requests, `43<ack>[reply]` acks, `42["message",…]` pushes.
 */
export type ProtocolName = 'envelope' | 'socket.io'

/** What one incoming frame is. */
export const enum FrameKind {
  /** A successful answer to a request. */
  Reply,
  /** A `message` push (a fanout delivery). */
  Delivery,
  /** Another push (`welcome`, `left`). */
  Push,
  /** An error frame or an error ack. */
  Failure,
  /** Engine.IO ping: answer with a pong. */
  Ping,
  /** Engine.IO open packet: answer with a Socket.IO connect. */
  Open,
  /** Socket.IO connect acknowledged: the connection is usable. */
  Connected,
  Unknown,
}

export interface WireProtocol {
  readonly name: ProtocolName
  /** `[before id, after id]` of a request carrying a request id. */
  request(event: string, dataJson: string): readonly [Buffer, Buffer]
  /** A fire-and-forget message. */
  notify(event: string, dataJson: string): Buffer
  classify(data: Buffer, start: number, end: number): FrameKind
  /** Whether a connection is usable as soon as the upgrade completes. */
  readonly readyOnUpgrade: boolean
  /** Frames to answer a `Ping` / an `Open` with. */
  readonly pong: Buffer
  readonly connect: Buffer
}

const QUOTE = 0x22
const COMMA = 0x2c
const ENVELOPE_HEAD = '{"event":"'.length

export const envelope: WireProtocol = {
  name: 'envelope',
  readyOnUpgrade: true,
  pong: Buffer.alloc(0),
  connect: Buffer.alloc(0),
  request: (event, dataJson) => [Buffer.from(`{"event":${JSON.stringify(event)},"data":${dataJson},"id":`), Buffer.from('}')],
  notify: (event, dataJson) => Buffer.from(`{"event":${JSON.stringify(event)},"data":${dataJson}}`),
  classify(data, start, end) {
    // {"event":"<name>","data":…  — every target writes `event` first.
    let i = start + ENVELOPE_HEAD
    while (i < end && data[i] !== QUOTE) i++
    const nameLength = i - start - ENVELOPE_HEAD
    const first = data[start + ENVELOPE_HEAD]
    // After the name: `,"data"` for a success, `,"id"` / `,"error"` for an error frame.
    const success = data[i + 1] === COMMA && data[i + 3] === 0x64 /* d */
    if (!success) return FrameKind.Failure
    if (nameLength === 7 && first === 0x6d /* m */) return FrameKind.Delivery
    if ((nameLength === 7 && first === 0x77) /* welcome */ || (nameLength === 4 && first === 0x6c) /* left */) return FrameKind.Push
    return FrameKind.Reply
  },
}

const ZERO = 0x30
const TWO = 0x32
const THREE = 0x33
const FOUR = 0x34
const OPEN_BRACKET = 0x5b

export const socketIo: WireProtocol = {
  name: 'socket.io',
  readyOnUpgrade: false,
  pong: Buffer.from('3'),
  connect: Buffer.from('40'),
  request: (event, dataJson) => [Buffer.from('42'), Buffer.from(`[${JSON.stringify(event)},${dataJson}]`)],
  notify: (event, dataJson) => Buffer.from(`42[${JSON.stringify(event)},${dataJson}]`),
  classify(data, start, end) {
    const engine = data[start]
    if (engine === TWO && end - start === 1) return FrameKind.Ping
    if (engine === ZERO) return FrameKind.Open
    if (engine !== FOUR) return FrameKind.Unknown
    const packet = data[start + 1]
    if (packet === ZERO) return FrameKind.Connected
    if (packet === THREE) {
      // 43<ack>[reply]: the reply is an error when it is {"error":…}.
      let i = start + 2
      while (i < end && data[i] !== OPEN_BRACKET) i++
      return data[i + 1] === 0x7b && data[i + 3] === 0x65 && data[i + 4] === 0x72 && data[i + 5] === 0x72 ? FrameKind.Failure : FrameKind.Reply
    }
    if (packet === TWO) {
      // 42["<name>",…
      const first = data[start + 4]
      let i = start + 4
      while (i < end && data[i] !== QUOTE) i++
      const nameLength = i - start - 4
      if (nameLength === 7 && first === 0x6d /* message */) return FrameKind.Delivery
      if (nameLength === 9 && first === 0x65 /* exception */) return FrameKind.Failure
      return FrameKind.Push
    }
    return FrameKind.Failure
  },
}

export function protocolNamed(name: ProtocolName): WireProtocol {
  return name === 'envelope' ? envelope : socketIo
}
