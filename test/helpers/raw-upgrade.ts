import { connect } from 'node:net'

/** The HTTP response to a raw upgrade request: status line and whether the socket was upgraded. */
export interface RawUpgradeResponse {
  status: number
  head: string
  upgraded: boolean
}

/**
 * Sends a hand-written WebSocket upgrade request over TCP and reads the HTTP
 * response, so a test can see the real status of a rejected handshake.
 */
export function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<RawUpgradeResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ]
    socket.setEncoding('latin1')
    socket.on('data', (chunk) => {
      received += chunk
      const end = received.indexOf('\r\n\r\n')
      if (end !== -1) {
        const head = received.slice(0, end)
        const status = Number(head.split(' ')[1])
        socket.destroy()
        resolve({ status, head, upgraded: status === 101 })
      }
    })
    socket.on('error', reject)
    socket.setTimeout(5000, () => {
      socket.destroy()
      reject(new Error('no response to the upgrade request'))
    })
    socket.write(lines.join('\r\n') + '\r\n\r\n')
  })
}
