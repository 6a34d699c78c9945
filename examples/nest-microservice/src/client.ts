// A plain WebSocket client: asks, prints the progress pushes and the answer.
import WebSocket from 'ws'
import { PORT } from './config'

export async function ask(prompt: string, url = `ws://127.0.0.1:${PORT}/ws`): Promise<unknown[]> {
  const ws = new WebSocket(url)
  const frames: unknown[] = []
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)))
  const answered = new Promise<void>((resolve) =>
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { id?: number }
      frames.push(frame)
      console.log('client:', JSON.stringify(frame))
      if (frame.id === 1) resolve()
    }),
  )
  ws.send(JSON.stringify({ event: 'send', data: { prompt }, id: 1 }))
  await answered
  ws.close()
  return frames
}

if (require.main === module) {
  ask(process.argv.slice(2).join(' ') || 'what is the answer').catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
