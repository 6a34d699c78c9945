import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test, type TestContext } from 'node:test'
import { chromium, type Browser, type Page } from 'playwright-core'
import { TcpProxy } from '../src/testing/index.js'
import { ChildServer, freePort } from './helpers/child-server.js'

// The demo chat page (demo/public, bundled with gangway-ws/client) in Debian's Chromium, driven by
// playwright-core, against the real demo server (`npm start`) in a child process.
const CHROMIUM = '/usr/bin/chromium'
const root = fileURLToPath(new URL('../..', import.meta.url))
const demoServer = fileURLToPath(new URL('../demo/server.js', import.meta.url))
const artifacts = `${root}test/artifacts`
const WAIT = { timeout: 15_000 }

function startDemo(port: number): Promise<ChildServer> {
  return ChildServer.start(demoServer, { PORT: String(port), GANGWAY_LOG_LEVEL: 'error' }, /chat at http:\/\/localhost:(\d+)\//)
}

/** Chromium, or a skip (a failure in CI) saying how to install it. */
async function launch(t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    const how = `Debian's chromium is not installed at ${CHROMIUM}: install it with "apt-get install -y chromium" (.ci/run does this in CI)`
    if (process.env.CI === 'true') assert.fail(how)
    t.skip(how)
    return undefined
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  })
  t.after(() => browser.close())
  return browser
}

/** The demo server on a port of its own, that a test may SIGKILL and start again on the same port. */
interface DemoServer {
  readonly port: number
  kill(): Promise<void>
  start(): Promise<void>
}

/** Chromium and a demo server, both stopped when the test ends; undefined when Chromium is missing (the test was skipped). */
async function demoInBrowser(t: TestContext): Promise<{ browser: Browser; demo: DemoServer } | undefined> {
  const browser = await launch(t)
  if (browser === undefined) return undefined
  mkdirSync(artifacts, { recursive: true })
  const port = await freePort()
  let server = await startDemo(port)
  t.after(() => server.kill())
  const kill = () => server.kill('SIGKILL')
  const start = async () => void (server = await startDemo(port))
  return { browser, demo: { port, kill, start } }
}

/** A chat page in its own browser context (its own user), with uncaught page errors collected. */
async function openChat(browser: Browser, port: number, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 760, height: 640 } })
  const page = await context.newPage()
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(`http://127.0.0.1:${port}/`, WAIT)
  await page.locator('#status[data-state="open"]').waitFor(WAIT)
  return page
}

async function join(page: Page, name: string, room: string): Promise<void> {
  await page.fill('#name', name)
  await page.fill('#room', room)
  await page.click('#join')
  await page.locator('#messages li.system', { hasText: `You joined ${room} as ${name}` }).waitFor(WAIT)
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text)
  await page.click('#send')
}

function message(page: Page, from: string, text: string) {
  return page.locator('#messages li', { has: page.locator('.from', { hasText: from }), hasText: text })
}

test('two pages join the same room; one sends, the other shows it; both survive a server restart', async (t) => {
  const session = await demoInBrowser(t)
  if (session === undefined) return
  const { browser, demo } = session
  const { port } = demo
  const pageErrors: string[] = []

  const alice = await openChat(browser, port, pageErrors)
  const bob = await openChat(browser, port, pageErrors)
  await join(alice, 'Alice', 'garden')
  await join(bob, 'Bob', 'garden')

  await say(alice, 'Hello from Alice')
  await message(bob, 'Alice', 'Hello from Alice').waitFor(WAIT)
  await message(alice, 'Alice', 'Hello from Alice').waitFor(WAIT) // the room includes the sender
  await bob.screenshot({ path: `${artifacts}/browser-chat-bob.png` })

  // The server dies; the pages show it, and what Bob sends meanwhile waits in the client's queue.
  await demo.kill()
  await alice.locator('#status[data-state="reconnecting"]').waitFor(WAIT)
  await bob.locator('#status[data-state="reconnecting"]').waitFor(WAIT)
  await say(bob, 'Sent while the server was down')
  await alice.screenshot({ path: `${artifacts}/browser-chat-reconnecting.png` })

  await demo.start()
  await alice.locator('#status[data-state="open"]').waitFor(WAIT)
  await bob.locator('#status[data-state="open"]').waitFor(WAIT)
  // Bob's queued message went out after his re-join, so it reached the room he is back in (him).
  // Alice may not have been back yet when it went out: room pushes are not stored for latecomers.
  await message(bob, 'Bob', 'Sent while the server was down').waitFor(WAIT)
  // Both re-joined "garden" on their own: messages cross between the pages again.
  await say(alice, 'Back again')
  await message(bob, 'Alice', 'Back again').waitFor(WAIT)
  await say(bob, 'Welcome back')
  await message(alice, 'Bob', 'Welcome back').waitFor(WAIT)
  await alice.screenshot({ path: `${artifacts}/browser-chat-alice.png` })

  assert.equal(await bob.locator('#messages li.error').count(), 0, 'no send failed on the page')
  assert.deepEqual(pageErrors, [], 'no uncaught error on either page')
  assert.ok(existsSync(`${artifacts}/browser-chat-bob.png`))
  t.diagnostic(`screenshots in ${artifacts}`)
})

/** Waits until the page's "Online" list shows exactly these names. */
async function online(page: Page, names: string[]): Promise<void> {
  await page.waitForFunction(
    // Runs in the page, where there is a document (this file compiles without the DOM types).
    (want) => {
      const { document } = globalThis as unknown as { document: { querySelectorAll(selector: string): Iterable<{ textContent: string | null }> } }
      return [...document.querySelectorAll('#online li')].map((li) => li.textContent).sort().join() === want
    },
    [...names].sort().join(),
    WAIT,
  )
}

test('who is online: each page lists the room’s members, one per browser however many tabs, and drops those who leave', async (t) => {
  const session = await demoInBrowser(t)
  if (session === undefined) return
  const { browser, demo } = session
  const { port } = demo
  const pageErrors: string[] = []

  const alice = await openChat(browser, port, pageErrors)
  const bob = await openChat(browser, port, pageErrors)
  await join(alice, 'Alice', 'patio')
  await online(alice, ['Alice'])
  await join(bob, 'Bob', 'patio')
  await online(bob, ['Alice', 'Bob'])
  await online(alice, ['Alice', 'Bob'])

  // A second tab of Bob's browser (same visitor id): the room still has one Bob.
  const bobTab = await bob.context().newPage()
  bobTab.on('pageerror', (error) => pageErrors.push(error.message))
  await bobTab.goto(`http://127.0.0.1:${port}/`, WAIT)
  await bobTab.locator('#status[data-state="open"]').waitFor(WAIT)
  await join(bobTab, 'Bob', 'patio')
  await online(bobTab, ['Alice', 'Bob'])
  await alice.screenshot({ path: `${artifacts}/browser-chat-online.png` })

  // Bob closes his first tab: he is still online (his other tab). Alice's page sees the other tab's
  // message after the close was handled, so a leave would have come before it.
  await bob.close()
  await say(bobTab, 'Still here')
  await message(alice, 'Bob', 'Still here').waitFor(WAIT)
  await online(alice, ['Alice', 'Bob'])
  // His last tab closes: he leaves.
  await bobTab.close()
  await online(alice, ['Alice'])
  assert.deepEqual(pageErrors, [], 'no uncaught error on any page')
})

/** The text of the chat lines on the page (sender and text), in order; system lines and notices left out. */
function chatLines(page: Page): Promise<string[]> {
  return page.locator('#messages li:has(.from)').evaluateAll((items) => items.map((li) => `${li.firstChild?.textContent}: ${li.lastChild?.textContent}`))
}

test('history: a page whose socket dropped shows every line it missed once, in order; one whose server lost the history says so and reloads the room', async (t) => {
  const session = await demoInBrowser(t)
  if (session === undefined) return
  const { browser, demo } = session
  const { port } = demo
  // Alice's page and socket go through a proxy the test cuts; Bob's go straight to the server.
  const proxy = await TcpProxy.start('127.0.0.1', port)
  t.after(() => proxy.close())
  const pageErrors: string[] = []
  const alice = await openChat(browser, proxy.port, pageErrors)
  const bob = await openChat(browser, port, pageErrors)
  await join(alice, 'Alice', 'porch')
  await join(bob, 'Bob', 'porch')
  await say(bob, 'before the drop')
  await message(alice, 'Bob', 'before the drop').waitFor(WAIT)

  // Alice's socket drops; Bob talks meanwhile; she comes back and gets what she missed from the room's history.
  proxy.refuse()
  proxy.cut()
  await alice.locator('#status[data-state="reconnecting"]').waitFor(WAIT)
  for (let i = 1; i <= 5; i++) {
    await say(bob, `while away ${i}`)
    await message(bob, 'Bob', `while away ${i}`).waitFor(WAIT)
  }
  proxy.accept()
  await alice.locator('#status[data-state="open"]').waitFor(WAIT)
  await say(bob, 'back live')
  await message(alice, 'Bob', 'back live').waitFor(WAIT)
  const missed = Array.from({ length: 5 }, (_, i) => `Bob: while away ${i + 1}`)
  assert.deepEqual(await chatLines(alice), ['Bob: before the drop', ...missed, 'Bob: back live'], 'every line once, in order')
  assert.equal(await alice.locator('#messages li.notice').count(), 0, 'recovered: no notice')
  await alice.screenshot({ path: `${artifacts}/browser-chat-recovered.png` })

  // The server dies while Alice is cut off: its in-memory history goes with it. Bob, back first, talks into the
  // new history; Alice's position names the old epoch, so nothing is replayed: her page says so and reloads.
  proxy.refuse()
  proxy.cut()
  await alice.locator('#status[data-state="reconnecting"]').waitFor(WAIT)
  await demo.kill()
  await demo.start()
  await bob.locator('#status[data-state="open"]').waitFor(WAIT)
  await bob.locator('#messages li.notice').waitFor(WAIT)
  for (let i = 1; i <= 3; i++) {
    await say(bob, `new history ${i}`)
    await message(bob, 'Bob', `new history ${i}`).waitFor(WAIT)
  }
  proxy.accept()
  await alice.locator('#messages li.notice', { hasText: 'could not be recovered' }).waitFor(WAIT)
  await message(alice, 'Bob', 'new history 3').waitFor(WAIT)
  await say(bob, 'live again')
  await message(alice, 'Bob', 'live again').waitFor(WAIT)
  assert.deepEqual(await chatLines(alice), ['Bob: new history 1', 'Bob: new history 2', 'Bob: new history 3', 'Bob: live again'], 'the reloaded room, then live, each once')
  await alice.screenshot({ path: `${artifacts}/browser-chat-reloaded.png` })
  assert.deepEqual(pageErrors, [], 'no uncaught error on either page')
})
