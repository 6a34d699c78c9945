import { connect, type Socket } from 'node:net'

/** What came back for a hand-written HTTP request. */
export interface RawResponse {
  /** The status, or 0 when the server closed the connection without answering. */
  status: number
  head: string
  elapsedMs: number
  socket: Socket
}

/** Upgrade request headers for `path`, as `[name, value]` pairs in order. */
export function upgradeHeaders(port: number): Array<[string, string]> {
  return [
    ['Host', `127.0.0.1:${port}`],
    ['Connection', 'Upgrade'],
    ['Upgrade', 'websocket'],
    ['Sec-WebSocket-Version', '13'],
    ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ]
}

/** Builds `GET path` with the headers in the given order. */
export function requestText(path: string, headers: Array<[string, string]>): string {
  return [`GET ${path} HTTP/1.1`, ...headers.map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n')
}

/**
 * Sends raw request bytes and resolves with the response head (or status 0 if
 * the server closed without one). The socket is left open for the caller when
 * the answer is 101; otherwise it is destroyed.
 */
export function rawRequest(port: number, text: string, options: { localAddress?: string; timeoutMs?: number } = {}): Promise<RawResponse> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress })
    let received = ''
    let done = false
    const finish = (status: number, head: string) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (status !== 101) socket.destroy()
      resolve({ status, head, elapsedMs: performance.now() - started, socket })
    }
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      received += chunk
      const end = received.indexOf('\r\n\r\n')
      if (end !== -1) finish(Number(received.split(' ')[1]), received.slice(0, end))
    })
    socket.on('error', () => {})
    socket.on('close', () => finish(0, received))
    const timer = setTimeout(() => {
      socket.destroy()
      if (!done) reject(new Error(`no answer within ${options.timeoutMs ?? 5000} ms`))
    }, options.timeoutMs ?? 5000)
    socket.write(text)
  })
}
