import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import WebSocket from 'ws'
import { freePort } from './helpers/free-port.js'

// The README's five-minute guide, followed as a new user would, outside the repository: the
// package is packed (`npm pack`), the guide's step 1 installs that tarball in place of the
// registry name, its `server.ts` is written exactly as printed and started with `npx tsx`, and
// a real `ws` client checks what the guide's step 4 promises. Then `gangway-ws/client` from the
// same install is bundled by esbuild for the browser and run in Chromium against that server.
const root = fileURLToPath(new URL('../..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }
const CHROMIUM = '/usr/bin/chromium'
const WAIT_MS = 15_000

/** The body of the first ``` block of `language` after the README line that contains `marker`. */
function readmeBlock(marker: string, language: string): string {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n')
  const at = lines.findIndex((line) => line.includes(marker))
  assert.ok(at >= 0, `README.md has no line with ${JSON.stringify(marker)}`)
  const open = lines.findIndex((line, i) => i > at && line.trim() === `\`\`\`${language}`)
  const close = lines.findIndex((line, i) => i > open && line.trim() === '```')
  assert.ok(open > at && close > open, `README.md: no \`\`\`${language} block after ${JSON.stringify(marker)}`)
  return lines.slice(open + 1, close).join('\n') + '\n'
}

/** The environment without the `npm_*` variables of the `npm test` that runs us: a user's shell has none. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)))
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra }
}

function run(command: string, cwd: string): string {
  const result = spawnSync('bash', ['-ec', command], { cwd, env: userEnv(), encoding: 'utf8', timeout: 300_000 })
  assert.equal(result.status, 0, `${command}\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

/** `npx tsx server.ts` in its own process group (npx starts children); resolves once it says where it listens. */
function startServer(cwd: string, port: number): Promise<{ child: ChildProcess; stop: () => void }> {
  const child = spawn('npx', ['tsx', 'server.ts'], { cwd, env: userEnv({ PORT: String(port) }), detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`server.ts did not start within 60 s:\n${output}`))
    }, 60_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(`chat on http://localhost:${port}`)) {
        clearTimeout(timer)
        resolve({ child, stop })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server.ts exited (${code}) before it listened:\n${output}`))
    })
  })
}

interface Tab {
  ws: WebSocket
  frames: Array<Record<string, any>>
  send(frame: object): void
  next(count: number): Promise<void>
}

async function tab(port: number, name: string): Promise<Tab> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/chat?name=${name}`)
  const frames: Array<Record<string, any>> = []
  const waiters: Array<() => void> = []
  ws.on('message', (raw) => {
    frames.push(JSON.parse(raw.toString()))
    for (const wake of waiters.splice(0)) wake()
  })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  const next = async (count: number) => {
    while (frames.length < count) await new Promise<void>((resolve) => waiters.push(resolve))
  }
  return { ws, frames, send: (frame) => ws.send(JSON.stringify(frame)), next }
}

function statusWithoutName(port: number): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`)
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode!))
    ws.once('open', () => reject(new Error('the upgrade without a name was accepted')))
    ws.once('error', () => undefined)
  })
}

/** What the bundled page does: join the lobby, wait for a message, then say one. */
const BROWSER_CLIENT = `import { createClient } from '${pkg.name}/client'

// The guide's join takes the room name itself as its data.
const client = createClient('/chat?name=carol', { rooms: { data: (room) => room } })
const firstMessage = new Promise((resolve) => client.on('message', resolve))
await client.join('lobby')
window.joined = true
window.received = await firstMessage
client.emit('say', { room: 'lobby', text: 'hello from the bundle' })
`

function skipWithoutChromium(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return false
  const how = `Debian's chromium is not installed at ${CHROMIUM}: install it with "apt-get install -y chromium" (.ci/run does this in CI)`
  if (process.env.CI === 'true') assert.fail(how)
  t.skip(how)
  return true
}

test("the README's five-minute guide works from the packed tarball, outside the repository", { timeout: 600_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'gangway-guide-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))

  // --ignore-scripts: `npm test` has just built dist/, and `prepare` would rebuild it under other tests.
  const tarball = join(work, run(`npm pack --ignore-scripts --silent --pack-destination ${JSON.stringify(work)}`, root).trim().split('\n').pop()!)
  assert.ok(existsSync(tarball), tarball)

  // Step 1, every line as printed, with the tarball where the guide names the package.
  const setUp = readmeBlock('**1. A project**', 'sh')
  assert.match(setUp, new RegExp(`npm install ${pkg.name}\\b`), `the guide installs ${pkg.name}`)
  const commands = setUp.trim().split('\n').map((line) => line.replace(new RegExp(`(npm install )${pkg.name}\\b`), `$1${JSON.stringify(tarball)}`))
  run(commands.join(' && '), work)
  const project = join(work, 'chat')
  const installed = JSON.parse(readFileSync(join(project, 'node_modules', pkg.name, 'package.json'), 'utf8')) as { name: string }
  assert.equal(installed.name, pkg.name)

  // Step 2, exactly as printed; step 3 starts it.
  writeFileSync(join(project, 'server.ts'), readmeBlock('**2. `server.ts`**', 'ts'))
  const port = await freePort()
  const server = await startServer(project, port)
  t.after(server.stop)

  await t.test('step 4: join, say, the message arrives; 401 without a name; INVALID_PAYLOAD on an empty room', async () => {
    const page = await fetch(`http://127.0.0.1:${port}/`)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /new WebSocket\('ws:\/\/' \+ location\.host \+ '\/chat\?name='/)

    const ada = await tab(port, 'ada')
    const bob = await tab(port, 'bob')
    ada.send({ event: 'join', data: 'lobby', id: 1 })
    bob.send({ event: 'join', data: 'lobby', id: 1 })
    await Promise.all([ada.next(1), bob.next(1)])
    assert.deepEqual(ada.frames.shift(), { event: 'join', data: 'lobby', id: 1 })
    assert.deepEqual(bob.frames.shift(), { event: 'join', data: 'lobby', id: 1 })

    ada.send({ event: 'say', data: { room: 'lobby', text: 'hello bob' } })
    await Promise.all([ada.next(1), bob.next(1)])
    assert.deepEqual(bob.frames.shift(), { event: 'message', data: { from: 'ada', text: 'hello bob' } })
    assert.deepEqual(ada.frames.shift(), { event: 'message', data: { from: 'ada', text: 'hello bob' } })

    bob.send({ event: 'say', data: { room: '' }, id: 2 })
    await bob.next(1)
    const error = bob.frames.shift()!
    assert.equal(error.event, 'say')
    assert.equal(error.id, 2)
    assert.equal(error.error.code, 'INVALID_PAYLOAD')

    assert.equal(await statusWithoutName(port), 401)
    ada.ws.close()
    bob.ws.close()
  })

  await t.test(`${pkg.name}/client from the same install, bundled by esbuild for browsers, chats in Chromium`, async (t) => {
    run('npm install -D esbuild', project)
    writeFileSync(join(project, 'browser-client.ts'), BROWSER_CLIENT)
    run('npx esbuild browser-client.ts --bundle --platform=browser --format=esm --outfile=browser-client.js --metafile=meta.json --log-level=warning', project)
    const inputs = Object.keys((JSON.parse(readFileSync(join(project, 'meta.json'), 'utf8')) as { inputs: object }).inputs)
    assert.ok(inputs.includes(`node_modules/${pkg.name}/dist/src/client/browser.js`), `the browser condition was not taken: ${inputs.join(', ')}`)
    const foreign = inputs.filter((input) => input !== 'browser-client.ts' && !input.startsWith(`node_modules/${pkg.name}/dist/src/`))
    assert.deepEqual(foreign, [], 'the browser bundle pulls in nothing but the package')
    const bundle = readFileSync(join(project, 'browser-client.js'), 'utf8')
    assert.doesNotMatch(bundle, /from\s*["'](node:|ws["'])|require\(["'](node:|ws["'])/, 'a Node import reached the browser bundle')

    if (skipWithoutChromium(t)) return
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      // The page below is answered by Playwright, not by a loopback server, so Chromium places it in the
      // public address space and would block its WebSocket to 127.0.0.1 as a local-network access.
      args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-features=LocalNetworkAccessChecks'],
      timeout: 60_000,
    })
    t.after(() => browser.close())
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => errors.push(`console.${message.type()}: ${message.text()}`))
    // Served from the guide server's own origin (its same-origin check applies), without changing server.ts.
    const origin = `http://127.0.0.1:${port}`
    await page.route(`${origin}/bundle`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><script type="module">${bundle}</script>` }))
    await page.goto(`${origin}/bundle`, { timeout: WAIT_MS })
    const onPage = <T>(wait: Promise<T>) => wait.catch((error: Error) => assert.fail(`${error.message}; the page said: ${errors.join(' | ') || 'nothing'}`))
    await onPage(page.waitForFunction(() => (globalThis as { joined?: boolean }).joined === true, undefined, { timeout: WAIT_MS }))

    const dave = await tab(port, 'dave')
    dave.send({ event: 'join', data: 'lobby', id: 1 })
    await dave.next(1)
    dave.frames.shift()
    dave.send({ event: 'say', data: { room: 'lobby', text: 'hi carol' } })
    const received = await onPage(page.waitForFunction(() => (globalThis as { received?: unknown }).received, undefined, { timeout: WAIT_MS }))
    assert.deepEqual(await received.jsonValue(), { from: 'dave', text: 'hi carol' })
    await dave.next(2) // its own message, then the page's
    assert.deepEqual(dave.frames, [
      { event: 'message', data: { from: 'dave', text: 'hi carol' } },
      { event: 'message', data: { from: 'carol', text: 'hello from the bundle' } },
    ])
    assert.deepEqual(errors, [])
    dave.ws.close()
  })
})
