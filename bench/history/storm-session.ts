import { FrameWriteCounter } from '../harness/frame-write-counter.js'
import { WsClient } from '../harness/ws-client.js'

/** The two recovery protocols of the storm: gangway's `since` on join, Socket.IO's connection state recovery. */
export type StormFramework = 'gangway' | 'socketio'

/** Runs `task` when a slot is free (bounds the handshakes in flight). */
export type Limit = <T>(task: () => Promise<T>) => Promise<T>

export interface SessionOptions {
  readonly framework: StormFramework
  readonly port: number
  readonly room: string
  readonly localAddress: string
  readonly timeoutMs: number
}

const counter = new FrameWriteCounter()
const encoder = new TextDecoder()

/**
 * One client of the recovery storm, speaking either wire over the harness's lean
 * WebSocket client. It remembers its position in its room as each framework's own
 * client does — gangway: the last `{ offset, epoch }` pushed with a room message;
 * Socket.IO: the session id (`pid`) from its CONNECT answer and the offset appended
 * to every broadcast, sent back in the CONNECT packet after a transport drop, exactly
 * what socket.io-client sends. After a reconnect it counts the missed messages
 * replayed to it and says when it has all of them, or why not.
 */
export class StormSession {
  #ws: WsClient | undefined
  #nextId = 1
  #waiters = new Map<number, () => void>()
  #onConnected: (() => void) | undefined
  #onFailure: ((reason: string) => void) | undefined
  #onMessage: (() => void) | undefined
  // gangway position
  #offset = 0
  #epoch = ''
  // Socket.IO position
  #pid = ''
  #sioOffset = ''
  #recovering = false
  #recoveryAnswered = false
  /** Messages received since the last (re)connect. */
  received = 0
  /** Why recovery failed; undefined while it has not. */
  failure: string | undefined

  constructor(readonly options: SessionOptions) {}

  /** Connects and joins the room (first connection: no position yet). */
  async join(limit: Limit): Promise<void> {
    await limit(() => this.#open())
    await this.request('join', JSON.stringify(this.options.room))
  }

  /** Connects without joining (a live client of the probe). */
  connect(): Promise<void> {
    return this.#open()
  }

  /** Sends a request and resolves with its answer (bounded by the session's timeout). */
  request(event: string, dataJson: string): Promise<void> {
    const id = this.#nextId++
    const answered = new Promise<void>((resolve) => this.#waiters.set(id, resolve))
    this.#send(this.options.framework === 'gangway' ? `{"event":"${event}","data":${dataJson},"id":${id}}` : `42${id}["${event}",${dataJson}]`)
    return this.#bounded(answered, event).finally(() => this.#waiters.delete(id))
  }

  /** Resolves when at least `count` messages arrived since the last (re)connect. */
  receivedAtLeast(count: number): Promise<void> {
    if (this.received >= count) return Promise.resolve()
    return this.#bounded(
      new Promise<void>((resolve) => {
        this.#onMessage = () => {
          if (this.received >= count) {
            this.#onMessage = undefined
            resolve()
          }
        }
      }),
      `${count} messages`,
    )
  }

  /** A transport drop: the TCP connection goes away without a WebSocket close (what a lost network looks like to a server). */
  drop(): void {
    this.#ws?.destroy()
    this.#ws = undefined
  }

  /**
   * Reconnects with the remembered position and resolves once all `expected` missed
   * messages are in and the server said the state was recovered; rejects with the reason otherwise.
   */
  async recover(expected: number, limit: Limit): Promise<void> {
    this.#recovering = true
    this.#recoveryAnswered = false
    this.received = 0
    const failed = new Promise<never>((_, reject) => (this.#onFailure = (reason) => reject(new Error(reason))))
    failed.catch(() => {})
    await Promise.race([limit(() => this.#open()), failed])
    if (this.options.framework === 'gangway') {
      const since = JSON.stringify({ [this.options.room]: { offset: this.#offset, epoch: this.#epoch } })
      this.#send(`{"event":"join","data":${JSON.stringify(this.options.room)},"id":${this.#nextId++},"since":${since}}`)
    }
    await Promise.race([this.receivedAtLeast(expected), failed])
    // Socket.IO answers CONNECT before it replays; gangway sends $recovery before its replay: both came first.
    if (!this.#recoveryAnswered) throw new Error('missed messages arrived without a recovery answer')
  }

  close(): void {
    this.drop()
  }

  async #open(): Promise<void> {
    const { framework, port, localAddress, timeoutMs } = this.options
    const connected = new Promise<void>((resolve) => (this.#onConnected = resolve))
    this.received = 0
    this.#ws = await WsClient.connect(
      { port, path: framework === 'gangway' ? '/ws' : '/socket.io/?EIO=4&transport=websocket', localAddress, timeoutMs, writes: 'batched', counter },
      {
        onText: (data, start, end) => this.#onText(encoder.decode(data.subarray(start, end))),
        onClose: (reason) => this.#fail(`connection closed: ${reason}`),
      },
    )
    if (framework === 'gangway') this.#onConnected!()
    await this.#bounded(connected, 'Socket.IO CONNECT')
  }

  #onText(text: string): void {
    if (this.options.framework === 'gangway') this.#onGangway(text)
    else this.#onSocketIo(text)
  }

  #onGangway(text: string): void {
    const frame = JSON.parse(text) as { event?: string; data?: unknown; id?: number; error?: { code: string }; room?: string; offset?: number; epoch?: string }
    if (frame.event === 'message') {
      // Anything racing the replay is de-duplicated by offset on the server; count only what is new.
      if (frame.offset !== undefined && frame.offset <= this.#offset) return
      if (frame.offset !== undefined) this.#offset = frame.offset
      if (frame.epoch !== undefined) this.#epoch = frame.epoch
      return this.#count()
    }
    if (frame.event === '$recovery') {
      const answer = frame.data as { recovered: boolean; reason?: string; replayed: number }
      this.#recoveryAnswered = true
      if (!answer.recovered) this.#fail(`not recovered: ${answer.reason ?? 'no reason'}`)
      return
    }
    if (frame.error) return this.#fail(`error frame ${frame.error.code}`)
    if (frame.id !== undefined) this.#answer(frame.id)
  }

  #onSocketIo(text: string): void {
    const engine = text.charCodeAt(0)
    if (text === '2') return this.#send('3')
    if (engine === 0x30 /* 0: Engine.IO open */) {
      // socket.io-client sends { pid, offset } with CONNECT once it has both.
      return this.#send(this.#recovering && this.#pid && this.#sioOffset ? `40${JSON.stringify({ pid: this.#pid, offset: this.#sioOffset })}` : '40')
    }
    if (text.startsWith('40')) {
      const { pid } = JSON.parse(text.slice(2)) as { pid?: string }
      if (this.#recovering) {
        this.#recoveryAnswered = true
        if (!pid || pid !== this.#pid) return this.#fail('not recovered: new session')
      }
      this.#pid = pid ?? ''
      return this.#onConnected?.()
    }
    if (text.startsWith('42')) {
      const packet = JSON.parse(text.slice(2)) as unknown[]
      if (packet[0] !== 'message') return
      const offset = packet[packet.length - 1]
      if (typeof offset === 'string') this.#sioOffset = offset
      return this.#count()
    }
    if (text.startsWith('43')) return this.#answer(Number(/^43(\d+)/.exec(text)?.[1]))
    if (text.startsWith('44')) return this.#fail(`connect error ${text.slice(2, 120)}`)
  }

  #count(): void {
    this.received++
    this.#onMessage?.()
  }

  #answer(id: number): void {
    const waiter = this.#waiters.get(id)
    this.#waiters.delete(id)
    waiter?.()
  }

  #fail(reason: string): void {
    if (this.failure === undefined && this.#recovering) this.failure = reason
    this.#onFailure?.(reason)
  }

  #send(text: string): void {
    this.#ws?.sendBytes(Buffer.from(text))
  }

  #bounded<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs)
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }
}
