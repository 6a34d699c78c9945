import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

test('close() settles even when a handler never does and nothing else keeps the process alive', () => {
  // In a child process: the handler's promise is the only thing left once the client has gone.
  const index = fileURLToPath(new URL('../src/index.js', import.meta.url))
  const script = `
    import { createGateway, defineGateway, silentLogger } from ${JSON.stringify(index)}
    import WebSocket from 'ws'
    const app = createGateway({ logger: silentLogger, gateways: [defineGateway({ path: '/ws' }).subscribe('hang', () => new Promise(() => {}))] })
    const { port } = await app.listen(0, '127.0.0.1')
    const ws = new WebSocket('ws://127.0.0.1:' + port + '/ws')
    await new Promise((resolve) => ws.on('open', resolve))
    ws.send(JSON.stringify({ event: 'hang', id: 1 }))
    await new Promise((resolve) => setTimeout(resolve, 50))
    ws.terminate()
    await new Promise((resolve) => setTimeout(resolve, 50))
    await app.close({ timeoutMs: 300 })
    console.log('closed')
  `
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../../', import.meta.url)), encoding: 'utf8', timeout: 20_000 })
  assert.equal(result.stdout.trim(), 'closed', result.stderr)
  assert.equal(result.status, 0)
})
