import type { BroadcastTarget } from '../registry/namespace-adapter.js'

/**
 * The bytes nodes exchange. Every message starts with
 * `[version u8][kind u8][sender length u8][sender id]`.
 *
 * A broadcast then carries `[flags u8][seq u32][namespace][5 target lists]
 * [epoch u32][channel count u16][channel seq u32 × count]` and, as the rest of the
 * message, the WebSocket text frame exactly as the
 * publishing node framed it: receiving nodes write those bytes to their
 * sockets without parsing or re-encoding any JSON. Strings are
 * `[byte length u16][utf8]`, lists `[count u16][string...]`.
 *
 * `seq` numbers the sender's broadcasts (deduplication of copies that arrive on
 * several channels); the channel seqs number them per channel, in the order of
 * `broadcastChannels()`, so a receiver can count what it missed on the channel
 * it got the message on (see `channel-sequence.ts`); `epoch` is random per
 * sending adapter (renewed if it ever forgets its counters), so the numbers of a restarted node that kept its node id
 * are never read as continuing its old ones. One encoding still serves
 * every channel.
 *
 * Control messages (presence, queries, answers) are rare and carry a JSON body.
 *
 * Version 2 added the channel seqs; a node reading another version counts the
 * message as malformed and drops it (upgrade every node of a cluster together).
 */
export const PROTOCOL_VERSION = 2

export const enum MessageKind {
  Broadcast = 1,
  Control = 2,
}

/** The broadcast reached this node on more than one channel: deduplicate by (sender, seq). */
export const FLAG_MULTI_CHANNEL = 1

export interface BroadcastMessage {
  readonly kind: MessageKind.Broadcast
  readonly sender: string
  readonly flags: number
  readonly seq: number
  readonly namespace: string
  readonly target: BroadcastTarget
  /** Random per sending adapter instance: numbers from another epoch are a new sequence. */
  readonly epoch: number
  /** The broadcast's number on each channel it was published to, in `broadcastChannels()` order. */
  readonly channelSeqs: readonly number[]
  /** A view into the received bytes: copy before keeping it. */
  readonly frame: Buffer
}

export interface ControlMessage {
  readonly kind: MessageKind.Control
  readonly sender: string
  readonly body: unknown
}

export type ClusterMessage = BroadcastMessage | ControlMessage

/** A message another node (or something else on the broker) sent that this version cannot read. */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError'
}

const MAX_STRING = 0xffff
const MAX_LIST = 0xffff
const EMPTY: readonly string[] = Object.freeze([])

/** Encodes a broadcast once; the same bytes are published to every channel it goes to. */
export function encodeBroadcast(
  sender: string,
  flags: number,
  seq: number,
  namespace: string,
  target: BroadcastTarget,
  epoch: number,
  channelSeqs: readonly number[],
  frame: Uint8Array,
): Buffer {
  const senderLength = Buffer.byteLength(sender, 'latin1')
  if (channelSeqs.length > MAX_LIST) throw new RangeError(`${channelSeqs.length} channels are too many for one broadcast`)
  let size = 3 + senderLength + 1 + 4 + stringSize(namespace) + 4 + 2 + 4 * channelSeqs.length + frame.byteLength
  size += listSize(target.rooms) + listSize(target.users) + listSize(target.connections) + listSize(target.exceptRooms) + listSize(target.exceptConnections)
  const out = Buffer.allocUnsafe(size)
  let at = writeHeader(out, MessageKind.Broadcast, sender, senderLength)
  out[at++] = flags
  out.writeUInt32BE(seq >>> 0, at)
  at += 4
  at = writeString(out, at, namespace)
  at = writeList(out, at, target.rooms)
  at = writeList(out, at, target.users)
  at = writeList(out, at, target.connections)
  at = writeList(out, at, target.exceptRooms)
  at = writeList(out, at, target.exceptConnections)
  out.writeUInt32BE(epoch >>> 0, at)
  at += 4
  out.writeUInt16BE(channelSeqs.length, at)
  at += 2
  for (const channelSeq of channelSeqs) {
    out.writeUInt32BE(channelSeq >>> 0, at)
    at += 4
  }
  out.set(frame, at)
  return out
}

/** Encodes a control message with a JSON body. */
export function encodeControl(sender: string, body: unknown): Buffer {
  const json = JSON.stringify(body)
  const senderLength = Buffer.byteLength(sender, 'latin1')
  const out = Buffer.allocUnsafe(3 + senderLength + Buffer.byteLength(json))
  const at = writeHeader(out, MessageKind.Control, sender, senderLength)
  out.write(json, at, 'utf8')
  return out
}

/** Decodes a message; throws `MalformedMessageError` for anything it cannot read. */
export function decodeMessage(bytes: Uint8Array): ClusterMessage {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length < 4) throw new MalformedMessageError('message too short')
  if (buf[0] !== PROTOCOL_VERSION) throw new MalformedMessageError(`unknown protocol version ${buf[0]}`)
  const kind = buf[1]
  const senderEnd = 3 + buf[2]!
  if (senderEnd > buf.length) throw new MalformedMessageError('truncated sender')
  const sender = buf.toString('latin1', 3, senderEnd)
  if (kind === MessageKind.Control) {
    let body: unknown
    try {
      body = JSON.parse(buf.toString('utf8', senderEnd))
    } catch {
      throw new MalformedMessageError('control body is not JSON')
    }
    return { kind: MessageKind.Control, sender, body }
  }
  if (kind !== MessageKind.Broadcast) throw new MalformedMessageError(`unknown message kind ${kind}`)
  const reader = new Reader(buf, senderEnd)
  const flags = reader.u8()
  const seq = reader.u32()
  const namespace = reader.string()
  const target: BroadcastTarget = {
    rooms: reader.list(),
    users: reader.list(),
    connections: reader.list(),
    exceptRooms: reader.list(),
    exceptConnections: reader.list(),
  }
  const { epoch, channelSeqs } = reader.numbering()
  const frame = buf.subarray(reader.at)
  // The frame goes to sockets as is: it must be exactly one complete text frame.
  if (!isCompleteTextFrame(frame)) throw new MalformedMessageError('broadcast without a complete text frame')
  return { kind: MessageKind.Broadcast, sender, flags, seq, namespace, target, epoch, channelSeqs, frame }
}

function isCompleteTextFrame(frame: Buffer): boolean {
  if (frame.length < 2 || frame[0] !== 0x81) return false
  const marker = frame[1]!
  if (marker < 126) return frame.length === 2 + marker
  if (marker === 126) return frame.length >= 4 && frame.length === 4 + frame.readUInt16BE(2)
  if (marker !== 127 || frame.length < 10) return false
  return frame.length === 10 + frame.readUInt32BE(2) * 2 ** 32 + frame.readUInt32BE(6)
}

class Reader {
  constructor(
    readonly buf: Buffer,
    public at: number,
  ) {}

  u8(): number {
    this.#need(1)
    return this.buf[this.at++]!
  }

  u32(): number {
    this.#need(4)
    const value = this.buf.readUInt32BE(this.at)
    this.at += 4
    return value
  }

  string(): string {
    this.#need(2)
    const length = this.buf.readUInt16BE(this.at)
    this.at += 2
    this.#need(length)
    const value = this.buf.toString('utf8', this.at, this.at + length)
    this.at += length
    return value
  }

  list(): readonly string[] {
    this.#need(2)
    const count = this.buf.readUInt16BE(this.at)
    this.at += 2
    if (count === 0) return EMPTY
    const values: string[] = []
    for (let i = 0; i < count; i++) values.push(this.string())
    return values
  }

  /** `[epoch u32][count u16][seq u32 × count]`, read with one bounds check per part. */
  numbering(): { epoch: number; channelSeqs: number[] } {
    this.#need(6)
    const { buf } = this
    const epoch = buf.readUInt32BE(this.at)
    const count = buf.readUInt16BE(this.at + 4)
    this.at += 6
    this.#need(4 * count)
    const at = this.at
    this.at += 4 * count
    // One channel is the common case: an array literal allocates fastest.
    if (count === 1) return { epoch, channelSeqs: [buf.readUInt32BE(at)] }
    const channelSeqs: number[] = []
    for (let i = 0; i < count; i++) channelSeqs.push(buf.readUInt32BE(at + 4 * i))
    return { epoch, channelSeqs }
  }

  #need(bytes: number): void {
    if (this.at + bytes > this.buf.length) throw new MalformedMessageError('truncated broadcast')
  }
}

function writeHeader(out: Buffer, kind: MessageKind, sender: string, senderLength: number): number {
  out[0] = PROTOCOL_VERSION
  out[1] = kind
  out[2] = senderLength
  out.write(sender, 3, senderLength, 'latin1')
  return 3 + senderLength
}

function stringSize(value: string): number {
  const length = Buffer.byteLength(value)
  if (length > MAX_STRING) throw new RangeError(`a name of ${length} bytes is too long for the cluster protocol`)
  return 2 + length
}

function listSize(values: readonly string[]): number {
  if (values.length > MAX_LIST) throw new RangeError(`${values.length} targets are too many for one broadcast`)
  let size = 2
  for (const value of values) size += stringSize(value)
  return size
}

function writeString(out: Buffer, at: number, value: string): number {
  const length = out.write(value, at + 2, 'utf8')
  out.writeUInt16BE(length, at)
  return at + 2 + length
}

function writeList(out: Buffer, at: number, values: readonly string[]): number {
  out.writeUInt16BE(values.length, at)
  at += 2
  for (const value of values) at = writeString(out, at, value)
  return at
}
