// `npm start`: the whole flow with one command — starts the NestJS microservice and the gangway
// gateway as separate processes, asks through a WebSocket client, prints everything, stops both.
import { fork, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { ask } from './client'

/** Starts a part as a process of its own; resolves with what it reports once it is ready. */
function start(script: string): Promise<{ child: ChildProcess; ready: { port?: number } }> {
  const child = fork(join(__dirname, script), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve, reject) => {
    child.once('message', (ready: { port?: number }) => resolve({ child, ready }))
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
  })
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

async function main() {
  const service = (await start('service/main.js')).child
  const { child: gateway, ready } = await start('gateway-main.js')
  try {
    const url = `ws://127.0.0.1:${ready.port}/ws`
    const frames = (await ask('what is the answer', url)) as Array<{ event: string; id?: number; data?: unknown; error?: unknown }>
    const answer = frames.find((frame) => frame.id === 1)
    console.log(answer?.error ? 'FAILED' : 'OK: the NestJS microservice answered through gangway')
    const refused = (await ask('', url)).find((frame) => (frame as { id?: number }).id === 1)
    console.log('an empty prompt:', JSON.stringify(refused))
    process.exitCode = answer?.error ? 1 : 0
  } finally {
    await stop(gateway)
    await stop(service)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
