import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

/** RFC 6455 opcodes. */
export const Op = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const

/** How to build one frame; every bit is the caller's to set. */
export interface FrameSpec {
  opcode: number
  payload?: Buffer | string
  /** @default true */
  fin?: boolean
  /** RSV1..3 as a 3-bit number (4 = RSV1). @default 0 */
  rsv?: number
  /** Clients must mask; `false` sends an unmasked frame. @default true */
  mask?: boolean
  /** Declare this payload length instead of the real one (for lying headers). */
  declaredLength?: bigint
}

/** Encodes one client frame exactly as specified. */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0))
  const fin = spec.fin ?? true
  const mask = spec.mask ?? true
  const length = spec.declaredLength ?? BigInt(payload.length)
  const head: number[] = [(fin ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f)]
  const maskBit = mask ? 0x80 : 0
  let extended = Buffer.alloc(0)
  if (length < 126n) head.push(maskBit | Number(length))
  else if (length < 65536n) {
    head.push(maskBit | 126)
    extended = Buffer.alloc(2)
    extended.writeUInt16BE(Number(length))
  } else {
    head.push(maskBit | 127)
    extended = Buffer.alloc(8)
    extended.writeBigUInt64BE(length)
  }
  if (!mask) return Buffer.concat([Buffer.from(head), extended, payload])
  const key = randomBytes(4)
  const masked = Buffer.allocUnsafe(payload.length)
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ key[i & 3]!
  return Buffer.concat([Buffer.from(head), extended, key, masked])
}

/** A close frame's payload: a 2-byte code and a reason. */
export function closePayload(code: number, reason: Buffer | string = ''): Buffer {
  const head = Buffer.alloc(2)
  head.writeUInt16BE(code)
  return Buffer.concat([head, typeof reason === 'string' ? Buffer.from(reason) : reason])
}

/** What the server sent on a raw connection. */
export interface ServerFrame {
  opcode: number
  payload: Buffer
}

/**
 * A WebSocket client over a bare TCP socket: a hand-written handshake, then
 * frames written byte for byte, so a test controls every bit the server sees.
 * It parses what the server sends (text, pong, close) and records it.
 */
export class RawWebSocket {
  readonly frames: ServerFrame[] = []
  /** The code of the server's close frame (1005 when it had no code), once one arrived. */
  closeCode: number | undefined
  closeReason = ''
  /** Resolves when the TCP connection is gone. */
  readonly ended: Promise<void>
  #buffer: Buffer = Buffer.alloc(0)
  #listeners = new Set<() => void>()

  private constructor(readonly socket: Socket) {
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => {})
    socket.on('close', () => this.#notify())
  }

  /** Opens a connection and completes the upgrade; rejects unless the answer is 101. */
  static open(port: number, path = '/ws', options: { localAddress?: string; headers?: Record<string, string> } = {}): Promise<RawWebSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress, noDelay: true })
      const client = new RawWebSocket(socket)
      let head = Buffer.alloc(0)
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk])
        const end = head.indexOf('\r\n\r\n')
        if (end === -1) return
        socket.off('data', onData)
        const status = head.subarray(0, end).toString('latin1').split(' ')[1]
        if (status !== '101') {
          socket.destroy()
          return reject(new Error(`upgrade answered ${status}`))
        }
        socket.on('data', (data: Buffer) => client.#receive(data))
        if (head.length > end + 4) client.#receive(head.subarray(end + 4))
        resolve(client)
      }
      socket.on('data', onData)
      socket.once('error', reject)
      socket.once('close', () => reject(new Error('closed during the handshake')))
      socket.write(
        [
          `GET ${path} HTTP/1.1`,
          `Host: 127.0.0.1:${port}`,
          'Connection: Upgrade',
          'Upgrade: websocket',
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
          '',
          '',
        ].join('\r\n'),
      )
    })
  }

  get closed(): boolean {
    return this.socket.destroyed
  }

  /** Text frames received, as strings. */
  texts(): string[] {
    return this.frames.filter((f) => f.opcode === Op.text).map((f) => f.payload.toString())
  }

  count(opcode: number): number {
    let n = 0
    for (const frame of this.frames) if (frame.opcode === opcode) n++
    return n
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes)
  }

  send(...specs: FrameSpec[]): void {
    this.write(Buffer.concat(specs.map(encodeFrame)))
  }

  /** Writes `bytes` in random slices, one write per tick, so the server parses frames split anywhere. */
  async writeInPieces(bytes: Buffer, random: () => number, maxPiece = 4096): Promise<void> {
    for (let at = 0; at < bytes.length && !this.socket.destroyed; ) {
      const size = 1 + Math.floor(random() * maxPiece)
      this.socket.write(bytes.subarray(at, at + size))
      at += size
      if (this.socket.writableLength > 1 << 20) await new Promise((resolve) => this.socket.once('drain', resolve))
      else await new Promise((resolve) => setImmediate(resolve))
    }
  }

  /** Resolves once `check` holds (checked on every frame and at close); rejects after `timeoutMs`. */
  until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    if (check()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const listener = () => {
        if (!check()) return
        clearTimeout(timer)
        this.#listeners.delete(listener)
        resolve()
      }
      const timer = setTimeout(() => {
        this.#listeners.delete(listener)
        reject(new Error(`timed out waiting for ${what}; frames=${this.frames.length} close=${this.closeCode} destroyed=${this.socket.destroyed}`))
      }, timeoutMs)
      this.#listeners.add(listener)
    })
  }

  destroy(): void {
    this.socket.destroy()
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener()
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
    for (;;) {
      const b = this.#buffer
      if (b.length < 2) break
      let length = b[1]! & 0x7f
      let offset = 2
      if (length === 126) {
        if (b.length < 4) break
        length = b.readUInt16BE(2)
        offset = 4
      } else if (length === 127) {
        if (b.length < 10) break
        length = Number(b.readBigUInt64BE(2))
        offset = 10
      }
      if (b.length < offset + length) break
      const frame = { opcode: b[0]! & 0x0f, payload: b.subarray(offset, offset + length) }
      this.#buffer = b.subarray(offset + length)
      this.frames.push(frame)
      if (frame.opcode === Op.close) {
        this.closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005
        this.closeReason = frame.payload.subarray(2).toString()
      }
    }
    this.#notify()
  }
}

/** A seeded generator (mulberry32) so a failing corpus can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
