// A process holding many WebSockets, for fault tests that kill or freeze it: argv = url, count,
// local address. Each socket joins room "herd"; 'ready' is sent over IPC once all have joined.
// On 'pause' every socket stops reading, so what the server sends next stays unread in the kernel
// and killing the process resets the connections (RST) instead of closing them.
import WebSocket from 'ws'

const [url, countArg, localAddress] = process.argv.slice(2) as [string, string, string | undefined]
const count = Number(countArg)
const sockets: WebSocket[] = []

function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress })
    ws.on('error', reject)
    ws.once('open', () => ws.send(JSON.stringify({ event: 'join', data: 'herd', id: 1 })))
    ws.once('message', () => resolve())
    sockets.push(ws)
  })
}

for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: Math.min(50, count - i) }, open))
process.send?.('ready')
process.on('message', (message) => {
  // Answered after every socket callback of the loop turn that read it: pings already on the wire are answered.
  if (message === 'sync') setImmediate(() => process.send?.('synced'))
  if (message === 'pause') {
    for (const ws of sockets) (ws as unknown as { _socket: { pause(): void } })._socket.pause()
    process.send?.('paused')
  }
})

// Never outlive the process that started this one (a killed test run or coordinator).
process.on('disconnect', () => process.exit(0))
