import { createHash, randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import type { FrameWriteCounter } from './frame-write-counter.js'
import type { WriteMode } from './write-mode.js'

/** What a `WsClient` reports. `now` is `performance.now()` taken once per TCP read. */
export interface WsClientEvents {
  onText(data: Buffer, start: number, end: number, now: number): void
  onClose(reason: string): void
}

/** Where and how to connect. */
export interface WsClientOptions {
  readonly port: number
  /** Request target: path and query. */
  readonly path: string
  /** Loopback source address (spreading connections over several avoids running out of ports). */
  readonly localAddress: string
  readonly timeoutMs: number
  /** Whether the frames sent in answer to one read share a write (see write-mode.ts). */
  readonly writes: WriteMode
  /** Shared by the connections of one generator. */
  readonly counter: FrameWriteCounter
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const OP_TEXT = 0x1
const OP_CLOSE = 0x8
const OP_PING = 0x9
const OP_PONG = 0xa

/**
 * A WebSocket client cut to what a load generator needs: the RFC 6455
 * handshake on a raw TCP socket, masked text frames built in one allocation,
 * and a frame parser that hands out payload offsets instead of copies. It
 * costs the generator a fraction of what the `ws` client would, so one core
 * can drive a server harder. Every frame is masked with a fresh non-zero key
 * (a zero key would let `ws` skip unmasking and flatter the server). The write
 * mode decides whether the frames sent in answer to one read share a write.
 */
export class WsClient {
  readonly socket: Socket
  #events: WsClientEvents
  readonly #batched: boolean
  readonly #counter: FrameWriteCounter
  #rest: Buffer | undefined
  #key = (randomBytes(4).readUInt32BE(0) | 1) >>> 0
  #closed = false

  private constructor(socket: Socket, events: WsClientEvents, options: WsClientOptions) {
    this.socket = socket
    this.#events = events
    this.#batched = options.writes === 'batched'
    this.#counter = options.counter
  }

  /** Connects and completes the upgrade; rejects on any other answer or after `timeoutMs`. */
  static connect(options: WsClientOptions, events: WsClientEvents): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: options.port, localAddress: options.localAddress, noDelay: true })
      const client = new WsClient(socket, events, options)
      const key = randomBytes(16).toString('base64')
      const expected = createHash('sha1').update(key + GUID).digest('base64')
      let head = Buffer.alloc(0)
      const timer = setTimeout(() => fail(new Error(`upgrade timed out after ${options.timeoutMs} ms`)), options.timeoutMs)
      const fail = (err: Error) => {
        clearTimeout(timer)
        socket.destroy()
        reject(err)
      }
      const onHead = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk])
        const end = head.indexOf('\r\n\r\n')
        if (end < 0) {
          if (head.length > 16_384) fail(new Error('upgrade response too large'))
          return
        }
        const text = head.subarray(0, end).toString('latin1')
        if (!text.startsWith('HTTP/1.1 101')) return fail(new Error(`upgrade refused: ${text.split('\r\n')[0]}`))
        if (!text.toLowerCase().includes(`sec-websocket-accept: ${expected.toLowerCase()}`)) return fail(new Error('bad Sec-WebSocket-Accept'))
        clearTimeout(timer)
        socket.off('data', onHead)
        socket.off('error', fail)
        socket.on('data', (data: Buffer) => client.#onData(data))
        socket.on('error', (err) => client.#close(err.message))
        socket.on('close', () => client.#close('socket closed'))
        resolve(client)
        // Frames that came with the upgrade response wait until the caller has its client.
        const rest = head.subarray(end + 4)
        if (rest.length > 0) setImmediate(() => client.#onData(rest))
      }
      socket.on('data', onHead)
      socket.on('error', fail)
      socket.write(
        `GET ${options.path} HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      )
    })
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Sends `prefix + decimal(n) + suffix` as one masked text frame. */
  sendParts(prefix: Buffer, n: number, suffix: Buffer): void {
    const digits = n < 10 ? 1 : Math.floor(Math.log10(n)) + 1
    const length = prefix.length + digits + suffix.length
    const frame = this.#frame(OP_TEXT, length)
    let at = frame.length - length
    prefix.copy(frame, at)
    at += prefix.length
    for (let i = at + digits - 1, v = n; i >= at; i--, v = Math.floor(v / 10)) frame[i] = 0x30 + (v % 10)
    suffix.copy(frame, at + digits)
    this.#maskAndWrite(frame, length)
  }

  /** Sends a payload as one masked text frame. */
  sendBytes(payload: Buffer, opcode = OP_TEXT): void {
    const frame = this.#frame(opcode, payload.length)
    payload.copy(frame, frame.length - payload.length)
    this.#maskAndWrite(frame, payload.length)
  }

  /** Runs `sendAll`; in batched mode every frame it sends leaves in one write, in per-frame mode each in its own. */
  batch(sendAll: () => void): void {
    if (!this.#batched) return sendAll()
    this.socket.cork()
    try {
      sendAll()
    } finally {
      this.socket.uncork()
    }
  }

  destroy(): void {
    this.#closed = true
    this.socket.destroy()
  }

  #frame(opcode: number, length: number): Buffer {
    const header = length < 126 ? 2 : length < 65536 ? 4 : 10
    const frame = Buffer.allocUnsafe(header + 4 + length)
    frame[0] = 0x80 | opcode
    if (header === 2) {
      frame[1] = 0x80 | length
    } else if (header === 4) {
      frame[1] = 0x80 | 126
      frame.writeUInt16BE(length, 2)
    } else {
      frame[1] = 0x80 | 127
      frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
      frame.writeUInt32BE(length >>> 0, 6)
    }
    return frame
  }

  #maskAndWrite(frame: Buffer, length: number): void {
    // xorshift32: a new non-zero key per frame without a syscall.
    let key = this.#key
    key ^= key << 13
    key ^= key >>> 17
    key ^= key << 5
    key >>>= 0
    this.#key = key
    const at = frame.length - length
    frame.writeUInt32BE(key, at - 4)
    const m0 = key >>> 24
    const m1 = (key >>> 16) & 0xff
    const m2 = (key >>> 8) & 0xff
    const m3 = key & 0xff
    const masks = [m0, m1, m2, m3]
    for (let i = 0; i < length; i++) frame[at + i] = frame[at + i]! ^ masks[i & 3]!
    const counter = this.#counter
    counter.frames++
    // Bytes still queued (corked, or not yet taken by the kernel): this frame will share their write.
    if (this.socket.writableLength > 0) counter.joined++
    this.socket.write(frame)
  }

  #onData(chunk: Buffer): void {
    // Batched: everything sent in answer to this read leaves in one write. (No closure for
    // batch() here: this runs once per read, and the batched mode's cost should stay as it was.)
    const batched = this.#batched
    if (batched) this.socket.cork()
    try {
      this.#readFrames(chunk)
    } finally {
      if (batched) this.socket.uncork()
    }
  }

  #readFrames(chunk: Buffer): void {
    const now = performance.now()
    const rest = this.#rest
    const data = rest === undefined ? chunk : Buffer.concat([rest, chunk])
    let at = 0
    while (data.length - at >= 2) {
      const b0 = data[at]!
      let length = data[at + 1]! & 0x7f
      let header = 2
      if (length === 126) {
        if (data.length - at < 4) break
        length = data.readUInt16BE(at + 2)
        header = 4
      } else if (length === 127) {
        if (data.length - at < 10) break
        length = data.readUInt32BE(at + 2) * 2 ** 32 + data.readUInt32BE(at + 6)
        header = 10
      }
      if (data.length - at < header + length) break
      const start = at + header
      const end = start + length
      at = end
      const opcode = b0 & 0x0f
      if ((b0 & 0x80) === 0 || opcode === 0) {
        this.#close('fragmented frames are not supported by the load generator')
        return
      }
      if (opcode === OP_TEXT) this.#events.onText(data, start, end, now)
      else if (opcode === OP_PING) this.sendBytes(data.subarray(start, end), OP_PONG)
      else if (opcode === OP_CLOSE) {
        this.#close(`close frame ${length >= 2 ? data.readUInt16BE(start) : ''}`)
        return
      }
    }
    this.#rest = at < data.length ? data.subarray(at) : undefined
  }

  #close(reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.socket.destroy()
    this.#events.onClose(reason)
  }
}
