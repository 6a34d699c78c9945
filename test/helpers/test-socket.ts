import WebSocket, { type ClientOptions } from 'ws'

/** A frame as received: the parsed JSON envelope. */
export interface Frame {
  event: string
  data?: any
  id?: number | string
  room?: string
  offset?: number
  epoch?: string
  error?: { code: string; message: string }
}

/** How a socket closed. */
export interface CloseInfo {
  code: number
  reason: string
}

/**
 * A real `ws` client for tests: records every frame, lets a test wait for the
 * next frame matching a predicate, and correlates requests by id.
 */
export class TestSocket {
  readonly frames: Frame[] = []
  readonly closed: Promise<CloseInfo>
  #waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = []
  #cursor = 0
  #nextId = 1

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    ws.on('error', () => {})
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame
      this.frames.push(frame)
      const index = this.#waiters.findIndex((w) => w.match(frame))
      if (index !== -1) this.#waiters.splice(index, 1)[0]!.resolve(frame)
    })
  }

  /** Opens a socket and resolves once it is open. */
  static async connect(url: string, options: ClientOptions = {}): Promise<TestSocket> {
    const ws = new WebSocket(url, options)
    const socket = new TestSocket(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
      ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)))
    })
    return socket
  }

  /** Sends a raw text (or binary) frame. */
  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary })
  }

  /** Sends `{ event, data }` without an id. */
  emit(event: string, data?: unknown): void {
    this.ws.send(JSON.stringify({ event, data }))
  }

  /** Sends `{ event, data, id }` and resolves with the frame carrying that id. */
  request(event: string, data?: unknown, timeoutMs = 5000): Promise<Frame> {
    const id = this.#nextId++
    const answer = this.next((f) => f.id === id, timeoutMs)
    this.ws.send(JSON.stringify({ event, data, id }))
    return answer
  }

  /** The first frame (already received or coming) matching `match` that no earlier `next` call consumed. */
  next(match: (f: Frame) => boolean = () => true, timeoutMs = 5000): Promise<Frame> {
    for (let i = this.#cursor; i < this.frames.length; i++) {
      if (match(this.frames[i]!)) {
        const [frame] = this.frames.splice(i, 1)
        return Promise.resolve(frame!)
      }
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (frame: Frame) => {
          clearTimeout(timer)
          this.frames.splice(this.frames.indexOf(frame), 1)
          resolve(frame)
        },
      }
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        reject(new Error(`no matching frame within ${timeoutMs} ms; received: ${JSON.stringify(this.frames).slice(0, 500)}`))
      }, timeoutMs)
      this.#waiters.push(waiter)
    })
  }

  /** Next frame with this event name. */
  nextEvent(event: string, timeoutMs = 5000): Promise<Frame> {
    return this.next((f) => f.event === event, timeoutMs)
  }

  /** Resolves true if no frame matching `match` arrives within `ms`. */
  async quiet(ms: number, match: (f: Frame) => boolean = () => true): Promise<boolean> {
    try {
      await this.next(match, ms)
      return false
    } catch {
      return true
    }
  }

  close(code?: number): Promise<CloseInfo> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code)
    return this.closed
  }
}
