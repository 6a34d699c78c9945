/**
 * The load generator: a child process pinned to its own core that opens the
 * connections of one run, drives the scenario when told to, and reports what
 * it measured over the window the orchestrator sets (`reset` → `snapshot`).
 */
import { FrameWriteCounter } from './frame-write-counter.js'
import { Histogram } from './histogram.js'
import type { GeneratorCommand, GeneratorConfig, GeneratorReport } from './messages.js'
import { FrameKind, protocolNamed, type WireProtocol } from './wire-protocol.js'
import { LEGACY_WRITE_MODE } from './write-mode.js'
import { WsClient } from './ws-client.js'

const send = (report: GeneratorReport) => process.send?.(report)
process.on('disconnect', () => process.exit(0))

/** The chat message every request and publish carries (~60 bytes of JSON). */
const MESSAGE = JSON.stringify({ room: 'bench', text: 'hello, world', from: 'bench-generator' })

/** The same message with its text padded (ordinary chat text, no escapes) to about `bytes` bytes of JSON. */
function messageOf(bytes: number | undefined): string {
  if (bytes === undefined || bytes <= MESSAGE.length) return MESSAGE
  const words = 'the quick brown fox jumps over the lazy dog, '
  const text = words.repeat(Math.ceil(bytes / words.length)).slice(0, bytes - MESSAGE.length + 'hello, world'.length)
  return JSON.stringify({ room: 'bench', text, from: 'bench-generator' })
}
const ROOM = 'bench'

const histogram = new Histogram()
const frameWrites = new FrameWriteCounter()
let running = false
let measuring = false
let operations = 0
let failures = 0
let closed = 0
let published = 0
let windowStart = 0
let cpuStart = 0
let scenario: Scenario | undefined

interface Scenario {
  start(): void
  stop(): void
  /** Idle: opens `count` more connections; resolves with how many are open in all. */
  open?(count: number): Promise<number>
}

/** One connection: frames are classified and routed to `onFrame`; pings and the Socket.IO handshake are handled here. */
class Connection {
  client!: WsClient
  #ready: (() => void) | undefined
  #failed: ((err: Error) => void) | undefined

  constructor(
    readonly protocol: WireProtocol,
    private readonly onFrame: (kind: FrameKind, now: number) => void,
  ) {}

  /** Connects and resolves once the `welcome` push has arrived. */
  open(config: GeneratorConfig, index: number): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.#ready = resolve
      this.#failed = reject
    })
    const timer = setTimeout(() => this.#failed?.(new Error(`no welcome within ${config.connectTimeoutMs} ms`)), config.connectTimeoutMs)
    // Idle connections send nothing after the upgrade: they keep the mode they always ran with.
    const writes = config.scenario === 'idle' ? LEGACY_WRITE_MODE : config.writes
    return WsClient.connect(
      {
        port: config.port,
        path: config.path,
        localAddress: config.sourceAddresses[index % config.sourceAddresses.length]!,
        timeoutMs: config.connectTimeoutMs,
        writes,
        counter: frameWrites,
      },
      {
        onText: (data, start, end, now) => this.#onText(data, start, end, now),
        onClose: (reason) => {
          if (this.#failed) this.#failed(new Error(`closed during setup: ${reason}`))
          else if (running || measuring) closed++
        },
      },
    )
      .then((client) => {
        this.client = client
        return ready
      })
      .finally(() => clearTimeout(timer))
  }

  #onText(data: Buffer, start: number, end: number, now: number): void {
    const kind = this.protocol.classify(data, start, end)
    switch (kind) {
      case FrameKind.Ping:
        return this.client.sendBytes(this.protocol.pong)
      case FrameKind.Open:
        return this.client.sendBytes(this.protocol.connect)
      case FrameKind.Connected:
      case FrameKind.Unknown:
        return
      case FrameKind.Push:
        if (this.#ready) {
          const ready = this.#ready
          this.#ready = this.#failed = undefined
          ready()
        }
        return
      default:
        this.onFrame(kind, now)
    }
  }
}

async function openAll<T>(config: GeneratorConfig, count: number, make: (index: number) => Promise<T>): Promise<T[]> {
  const opened: T[] = new Array(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const index = next++
      opened[index] = await make(index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(config.connectConcurrency, count) }, worker))
  return opened
}

/**
 * rpc: every connection keeps `inflight` echo requests outstanding; a reply is
 * answered by the next request (batched: the answers to one read share a write).
 */
async function setupRpc(config: Extract<GeneratorConfig, { scenario: 'rpc' }>): Promise<Scenario> {
  const protocol = protocolNamed(config.protocol)
  const [prefix, suffix] = protocol.request('echo', messageOf(config.messageBytes))
  const window = config.inflight
  const connections = await openAll(config, config.connections, async (index) => {
    const sentAt = new Float64Array(window)
    let head = 0
    let tail = 0
    let id = 1
    const fire = (now: number) => {
      connection.client.sendParts(prefix, id++, suffix)
      sentAt[tail] = now
      tail = tail + 1 === window ? 0 : tail + 1
    }
    const connection = new Connection(protocol, (kind, now) => {
      if (kind !== FrameKind.Reply && kind !== FrameKind.Failure) return
      const sent = sentAt[head]!
      head = head + 1 === window ? 0 : head + 1
      if (measuring) {
        if (kind === FrameKind.Failure) failures++
        else {
          operations++
          histogram.record((now - sent) * 1000)
        }
      }
      if (running) fire(now)
    })
    await connection.open(config, index)
    return { connection, fire }
  })
  return {
    start() {
      const now = performance.now()
      for (const { connection, fire } of connections) {
        connection.client.batch(() => {
          for (let i = 0; i < window; i++) fire(now)
        })
      }
    },
    stop() {
      for (const { connection } of connections) connection.client.destroy()
    },
  }
}

/**
 * fanout: `subscribers` connections join one room; one more connection
 * publishes, keeping `publishWindow` messages in flight (a message is in
 * flight until every subscriber has it). Deliveries reach each subscriber in
 * publish order, so the n-th delivery a subscriber sees is message n.
 * A publish answers a read on a subscriber's socket, not the publisher's, so
 * it leaves in a write of its own in both write modes.
 */
async function setupFanout(config: Extract<GeneratorConfig, { scenario: 'fanout' }>): Promise<Scenario> {
  const protocol = protocolNamed(config.protocol)
  const [joinPrefix, joinSuffix] = protocol.request('join', JSON.stringify({ room: ROOM }))
  const publishFrame = protocol.notify('publish', JSON.stringify({ room: ROOM, payload: JSON.parse(MESSAGE) }))
  const RING = 4096
  const sentAt = new Float64Array(RING)
  const remaining = new Int32Array(RING)
  let nextMessage = 0
  const subscriberCount = config.subscribers

  const publisher = new Connection(protocol, () => {})
  await publisher.open(config, config.subscribers)
  const publish = (now: number) => {
    const slot = nextMessage++ % RING
    sentAt[slot] = now
    remaining[slot] = subscriberCount
    publisher.client.sendBytes(publishFrame)
    if (measuring) published++
  }

  const subscribers = await openAll(config, subscriberCount, async (index) => {
    let received = 0
    let joined: (() => void) | undefined
    let failedJoin: ((err: Error) => void) | undefined
    const connection = new Connection(protocol, (kind, now) => {
      if (kind === FrameKind.Delivery) {
        const slot = received++ % RING
        if (measuring) {
          operations++
          histogram.record((now - sentAt[slot]!) * 1000)
        }
        if (--remaining[slot]! === 0 && running) publish(now)
      } else if (kind === FrameKind.Reply && joined) {
        joined()
        joined = failedJoin = undefined
      } else if (kind === FrameKind.Failure) {
        if (failedJoin) failedJoin(new Error('join was refused'))
        else if (measuring) failures++
      }
    })
    await connection.open(config, index)
    await new Promise<void>((resolve, reject) => {
      joined = resolve
      failedJoin = reject
      connection.client.sendParts(joinPrefix, 1, joinSuffix)
    })
    return connection
  })
  return {
    start() {
      const now = performance.now()
      for (let i = 0; i < config.publishWindow; i++) publish(now)
    },
    stop() {
      publisher.client.destroy()
      for (const connection of subscribers) connection.client.destroy()
    },
  }
}

/**
 * idle: connections that only receive their `welcome` and then sit there.
 * `open` adds more, so the orchestrator can read the server's memory between
 * two batches and take the cost of the second batch alone.
 */
async function setupIdle(config: Extract<GeneratorConfig, { scenario: 'idle' }>): Promise<Scenario> {
  const protocol = protocolNamed(config.protocol)
  const connections: Connection[] = []
  const open = async (count: number) => {
    const first = connections.length
    const opened = await openAll(config, count, async (index) => {
      const connection = new Connection(protocol, () => {})
      await connection.open(config, first + index)
      return connection
    })
    connections.push(...opened)
    return connections.length
  }
  await open(config.connections)
  return {
    start() {},
    stop() {
      for (const connection of connections) connection.client.destroy()
    },
    open,
  }
}

function cpuMicros(): number {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

process.on('message', (command: GeneratorCommand) => {
  switch (command.type) {
    case 'config': {
      const { config } = command
      const setup = config.scenario === 'rpc' ? setupRpc(config) : config.scenario === 'fanout' ? setupFanout(config) : setupIdle(config)
      setup.then(
        (ready) => {
          scenario = ready
          const connections = config.scenario === 'fanout' ? config.subscribers + 1 : config.connections
          send({ type: 'ready', connections })
        },
        (err: Error) => send({ type: 'fatal', message: `setup failed: ${err.message}` }),
      )
      return
    }
    case 'open':
      if (!scenario?.open) return send({ type: 'fatal', message: 'open: only an idle scenario opens more connections' })
      scenario.open(command.connections).then(
        (connections) => send({ type: 'ready', connections }),
        (err: Error) => send({ type: 'fatal', message: `opening more connections failed: ${err.message}` }),
      )
      return
    case 'run':
      running = true
      scenario?.start()
      return
    case 'reset':
      histogram.reset()
      frameWrites.reset()
      operations = failures = closed = published = 0
      measuring = true
      windowStart = performance.now()
      cpuStart = cpuMicros()
      return
    case 'snapshot':
      send({
        type: 'snapshot',
        snapshot: {
          operations,
          wallMs: performance.now() - windowStart,
          cpuMicros: cpuMicros() - cpuStart,
          latency: histogram.toPairs(),
          failures,
          closed,
          published,
          frames: frameWrites.frames,
          framesJoined: frameWrites.joined,
        },
      })
      measuring = false
      return
    case 'stop':
      running = false
      measuring = false
      scenario?.stop()
      setTimeout(() => process.exit(0), 50).unref()
      return
  }
})
