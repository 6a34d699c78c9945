// A client: sends one `ask`, prints the progress frames and the reply.
import WebSocket from 'ws'

const url = process.env.GATEWAY_URL ?? 'ws://localhost:3333/ws'
const prompt = process.argv.slice(2).join(' ') || 'how are you today'
const ws = new WebSocket(url)
ws.on('open', () => ws.send(JSON.stringify({ event: 'ask', data: { prompt }, id: 1 })))
ws.on('message', (raw) => {
  const frame = JSON.parse(raw.toString())
  console.log(frame)
  if (frame.id === 1) ws.close()
})
ws.on('error', (err) => {
  console.error(`cannot reach ${url}: ${err.message}`)
  process.exitCode = 1
})
