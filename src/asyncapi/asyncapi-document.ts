import { ERROR_CODES } from '../errors/error-codes.js'
import type { GatewayDefinition } from '../definition/gateway-definition.js'
import { CANCEL_EVENT, PING_EVENT, PRESENCE_EVENT, RECOVERY_EVENT, RESERVED_EVENT_PREFIX } from '../protocol/control-events.js'
import { PROTOCOL } from '../protocol/hello.js'
import { readSource, type AsyncApiSource } from './gateway-definitions.js'
import { jsonSchemaOf, type JsonSchema, type JsonSchemaConverter, type SchemaLike } from './json-schema-of.js'
import { PRESENCE_MESSAGE } from './presence-message.js'
import { HISTORY_PUSH_FIELDS, RECOVERY_MESSAGE, SINCE_FIELD } from './recovery-message.js'

/** Documentation of one subscribed event beyond what the code says. */
export interface EventDocs {
  summary?: string
  description?: string
  /** The schema of the reply's `data`. @default any JSON */
  reply?: SchemaLike
}

/** A push event: a frame the server sends without a request. */
export interface PushDocs {
  summary?: string
  description?: string
  /** The schema of the push's `data`. @default any JSON */
  schema?: SchemaLike
}

/** Documentation of one gateway, keyed by its path or name in `AsyncApiOptions.gateways`. */
export interface GatewayDocs {
  description?: string
  /** Per subscribed event. */
  events?: Readonly<Record<string, EventDocs>>
  /** Events the gateway pushes (`client.emit`, `server.to(room).emit`): the code cannot tell them. */
  pushes?: Readonly<Record<string, PushDocs>>
}

/** A server in the document. */
export interface AsyncApiServer {
  /** `host[:port]`. */
  host: string
  /** @default 'ws' */
  protocol?: 'ws' | 'wss'
  description?: string
}

/** Options of `asyncApiDocument`. */
export interface AsyncApiOptions {
  /** @default 'gangway gateways' */
  title?: string
  /** The version of the API described. @default '0.0.0' */
  version?: string
  description?: string
  /** @default none */
  servers?: Readonly<Record<string, AsyncApiServer>>
  /** Document the `hello` frame sent on connect. @default the app's `hello` option, else false */
  hello?: boolean
  /** Extra documentation per gateway, keyed by path (`/chat`) or name. */
  gateways?: Readonly<Record<string, GatewayDocs>>
  /** Converts a Standard Schema to JSON Schema when it has no converter of its own (valibot: `toJsonSchema`). */
  jsonSchema?: JsonSchemaConverter
}

/** An AsyncAPI 3.0 document, as plain JSON. */
export type AsyncApiDocument = Record<string, unknown> & { asyncapi: '3.0.0' }

const ANY = Object.freeze({ description: 'Any JSON value' })
const WIRE_CODES = Object.entries(ERROR_CODES).filter(([, info]) => info.wire)

/**
 * Generates an AsyncAPI 3.0 document from gateway definitions: a channel per
 * gateway path, a `receive` operation per subscribed event whose reply is the
 * reply frame or an error frame (correlated by `id`), `send` operations for
 * documented pushes, the `hello` frame and protocol errors, payload schemas
 * from the events' Standard Schema validators, and the error codes of the
 * registry (`ERROR_CODES`).
 *
 * @example
 * const doc = asyncApiDocument(app, { title: 'Chat', version: '1.2.0' })
 * http.on('request', (req, res) => req.url === '/asyncapi.json' && res.end(JSON.stringify(doc)))
 */
export function asyncApiDocument(source: AsyncApiSource, options: AsyncApiOptions = {}): AsyncApiDocument {
  const { definitions, hello: appHello } = readSource(source)
  const hello = options.hello ?? appHello ?? false
  const channels: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}
  const messages: Record<string, unknown> = {}
  const channelIds = new Keys()

  for (const definition of definitions) {
    const docs = options.gateways?.[definition.path] ?? options.gateways?.[definition.name] ?? {}
    const channelId = channelIds.take(definition.path === '/' ? 'root' : definition.path.slice(1))
    const channelRef = { $ref: `#/channels/${channelId}` }
    const channelMessages: Record<string, unknown> = {}
    const messageKeys = new Keys()
    const operationKeys = new Keys()
    const addMessage = (key: string, message: Record<string, unknown>): { $ref: string } => {
      const id = messageKeys.take(key)
      const componentId = `${channelId}.${id}`
      messages[componentId] = message
      channelMessages[id] = { $ref: `#/components/messages/${componentId}` }
      return { $ref: `#/channels/${channelId}/messages/${id}` }
    }
    const addShared = (key: string, componentId: string): { $ref: string } => {
      const id = messageKeys.take(key)
      channelMessages[id] = { $ref: `#/components/messages/${componentId}` }
      return { $ref: `#/channels/${channelId}/messages/${id}` }
    }
    const errorRef = addShared('error', 'errorFrame')

    for (const handler of definition.handlers) {
      const event = handler.event
      const eventDocs = docs.events?.[event] ?? {}
      const data = jsonSchemaOf(handler.schema, options.jsonSchema)
      const request = addMessage(`${event}.request`, {
        name: event,
        title: `${event} request`,
        summary: eventDocs.summary ?? `Sent by the client to run "${event}".`,
        ...(eventDocs.description ? { description: eventDocs.description } : {}),
        correlationId: { $ref: '#/components/correlationIds/requestId' },
        payload: envelope(event, data ?? ANY, 'optional', handler.schema !== undefined && data === undefined ? 'Validated by a schema that cannot be expressed as JSON Schema.' : undefined),
      })
      const reply = addMessage(`${event}.reply`, {
        name: event,
        title: `${event} reply`,
        summary: `The handler's result, sent once for a request with an "id" (null when it returns nothing).`,
        correlationId: { $ref: '#/components/correlationIds/requestId' },
        payload: envelope(event, jsonSchemaOf(eventDocs.reply, options.jsonSchema) ?? ANY, 'required'),
      })
      operations[operationKeys.scoped(channelId, event)] = {
        action: 'receive',
        channel: channelRef,
        title: event,
        summary: eventDocs.summary ?? `Handles "${event}".`,
        description:
          `A frame { "event": "${event}", "data", "id"? }. With an "id", exactly one frame answers it with the same "id": ` +
          `the reply, or an error frame (INVALID_PAYLOAD when data fails the schema, FORBIDDEN when a guard refuses, INTERNAL when the handler fails unexpectedly, or the handler's own code).`,
        messages: [request],
        reply: { channel: channelRef, messages: [reply, errorRef] },
      }
    }

    if (hello) {
      const helloRef = addShared('hello', 'hello')
      operations[operationKeys.scoped(channelId, 'hello')] = {
        action: 'send',
        channel: channelRef,
        title: 'hello',
        summary: 'Sent once on connect: the protocol, the connection id and the events this gateway handles.',
        messages: [helloRef],
      }
    }
    for (const [event, push] of Object.entries(docs.pushes ?? {})) {
      const ref = addMessage(`${event}.push`, {
        name: event,
        title: event,
        summary: push.summary ?? `Pushed by the server.`,
        ...(push.description ? { description: push.description } : {}),
        payload: appPushEnvelope(event, jsonSchemaOf(push.schema, options.jsonSchema) ?? ANY),
      })
      operations[operationKeys.scoped(channelId, event)] = {
        action: 'send',
        channel: channelRef,
        title: event,
        summary: push.summary ?? `Pushes "${event}".`,
        messages: [ref],
      }
    }
    const pingRef = addShared(PING_EVENT, 'ping')
    const pongRef = addShared(`${PING_EVENT}.reply`, 'pong')
    operations[operationKeys.scoped(channelId, PING_EVENT)] = {
      action: 'receive',
      channel: channelRef,
      title: PING_EVENT,
      summary: 'Liveness probe: answered at once, before any guard or handler, even while the server drains.',
      description:
        `Event names starting with "${RESERVED_EVENT_PREFIX}" belong to the protocol. gangway-ws/client sends { "event": "${PING_EVENT}", "id" } ` +
        'on a connection quiet for its heartbeat interval and gives the connection up when nothing arrives within the heartbeat timeout.',
      messages: [pingRef],
      reply: { channel: channelRef, messages: [pongRef] },
    }
    operations[operationKeys.scoped(channelId, PRESENCE_EVENT)] = {
      action: 'send',
      channel: channelRef,
      title: PRESENCE_EVENT,
      summary: PRESENCE_MESSAGE.summary,
      messages: [addShared(PRESENCE_EVENT, 'presence')],
    }
    operations[operationKeys.scoped(channelId, RECOVERY_EVENT)] = {
      action: 'send',
      channel: channelRef,
      title: RECOVERY_EVENT,
      summary: RECOVERY_MESSAGE.summary,
      messages: [addShared(RECOVERY_EVENT, 'recovery')],
    }
    operations[operationKeys.scoped(channelId, CANCEL_EVENT)] = {
      action: 'receive',
      channel: channelRef,
      title: CANCEL_EVENT,
      summary: 'Gives up on a request sent earlier on this connection; no answer of its own.',
      description:
        'The request it names by "id", if it is a forwarded one still in flight, is answered CANCELLED at once and the service working on it ' +
        'sees its signal abort; its late reply is discarded. A request already answered is left alone. gangway-ws/client sends it when a ' +
        "request's signal aborts after it was sent, and when a request it sent times out.",
      messages: [addShared(CANCEL_EVENT, 'cancel')],
    }
    operations[operationKeys.scoped(channelId, 'protocolError')] = {
      action: 'send',
      channel: channelRef,
      title: 'protocol error',
      summary: 'An error frame with event "error" for a frame that reached no handler: BAD_FRAME, UNKNOWN_EVENT, RATE_LIMITED, UNAVAILABLE.',
      messages: [errorRef],
    }

    channels[channelId] = {
      address: definition.path,
      title: definition.name,
      description: docs.description ?? channelDescription(definition),
      messages: channelMessages,
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: options.title ?? 'gangway gateways',
      version: options.version ?? '0.0.0',
      description:
        options.description ??
        `WebSocket gateways speaking ${PROTOCOL}: JSON text frames { "event", "data", "id"? }. ` +
          'A frame with an "id" is a request and gets exactly one reply or error frame carrying the same "id".',
    },
    ...(options.servers ? { servers: servers(options.servers) } : {}),
    defaultContentType: 'application/json',
    channels,
    operations,
    components: {
      schemas: { requestId: REQUEST_ID, errorFrame: errorFrameSchema() },
      messages: {
        ...messages,
        errorFrame: {
          name: 'error',
          title: 'Error frame',
          summary: 'The answer to a request that failed, or a protocol error. The code is stable; the message is safe to show.',
          correlationId: { $ref: '#/components/correlationIds/requestId' },
          payload: { $ref: '#/components/schemas/errorFrame' },
        },
        hello: { name: 'hello', title: 'hello', payload: pushEnvelope('hello', HELLO_DATA) },
        ping: {
          name: PING_EVENT,
          title: 'ping',
          correlationId: { $ref: '#/components/correlationIds/requestId' },
          payload: envelope(PING_EVENT, { type: 'null', description: 'Absent or null.' }, 'optional'),
        },
        cancel: {
          name: CANCEL_EVENT,
          title: 'cancel',
          correlationId: { $ref: '#/components/correlationIds/requestId' },
          payload: {
            type: 'object',
            required: ['event', 'id'],
            properties: { event: { type: 'string', const: CANCEL_EVENT }, id: { $ref: '#/components/schemas/requestId' } },
          },
        },
        pong: {
          name: PING_EVENT,
          title: 'pong',
          summary: 'The answer to a ping: data null, the same "id".',
          correlationId: { $ref: '#/components/correlationIds/requestId' },
          payload: envelope(PING_EVENT, { type: 'null' }, 'required'),
        },
        presence: PRESENCE_MESSAGE,
        recovery: RECOVERY_MESSAGE,
      },
      correlationIds: {
        requestId: { description: 'The request "id", echoed by its one reply or error frame.', location: '$message.payload#/id' },
      },
    },
  }
}

const REQUEST_ID: JsonSchema = {
  description: 'Chosen by the client; echoed by the one reply or error frame answering the request.',
  oneOf: [{ type: 'string', maxLength: 128 }, { type: 'number' }],
}

function envelope(event: string, data: JsonSchema, id: 'optional' | 'required', note?: string): JsonSchema {
  return {
    type: 'object',
    required: id === 'required' ? ['event', 'data', 'id'] : ['event'],
    properties: {
      event: { type: 'string', const: event },
      data: note ? { ...data, description: note } : data,
      id: { $ref: '#/components/schemas/requestId' },
      ...(id === 'optional' ? { deadline: DEADLINE, since: SINCE_FIELD } : {}),
    },
  }
}

const DEADLINE: JsonSchema = {
  type: 'number',
  description:
    "Requests: when the client stops waiting (epoch ms, the client's clock). A forwarded request ends at the earlier of it and its forward " +
    "timeout; a value that is not later than the gateway's clock is ignored.",
}

/** An application push: to a room with history it also carries the room, its offset and epoch. */
function appPushEnvelope(event: string, data: JsonSchema): JsonSchema {
  const envelope = pushEnvelope(event, data)
  return { ...envelope, properties: { ...(envelope.properties as Record<string, JsonSchema>), ...HISTORY_PUSH_FIELDS } }
}

function pushEnvelope(event: string, data: JsonSchema): JsonSchema {
  return { type: 'object', required: ['event', 'data'], properties: { event: { type: 'string', const: event }, data } }
}

function errorFrameSchema(): JsonSchema {
  const known = WIRE_CODES.map(([code, info]) => `${code}: ${info.description}`).join('\n')
  return {
    type: 'object',
    required: ['event', 'error'],
    properties: {
      event: { type: 'string', description: 'The event of the request, or "error" for a frame that reached no handler.' },
      id: { $ref: '#/components/schemas/requestId' },
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: {
            type: 'string',
            pattern: '^[A-Z][A-Z0-9_]{0,63}$',
            description: `A stable code. gangway's own:\n${known}\nHandlers add their own UPPER_SNAKE codes (WsError).`,
            examples: WIRE_CODES.map(([code]) => code),
          },
          message: { type: 'string', description: 'Safe to show; never carries internals.' },
        },
      },
    },
    'x-gangway-error-codes': Object.fromEntries(
      WIRE_CODES.map(([code, info]) => [code, { description: info.description, ...('closeCode' in info ? { closeCode: info.closeCode } : {}) }]),
    ),
  }
}

const HELLO_DATA: JsonSchema = {
  type: 'object',
  required: ['protocol', 'connectionId', 'namespace', 'path', 'events', 'maxPayload'],
  properties: {
    protocol: { type: 'string', const: PROTOCOL },
    connectionId: { type: 'string' },
    namespace: { type: 'string' },
    path: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    envelope: { type: 'string' },
    maxPayload: { type: 'integer' },
    heartbeatMs: { type: ['integer', 'null'] },
  },
}

function channelDescription(definition: GatewayDefinition): string {
  const closeCodes = Object.entries(ERROR_CODES)
    .filter(([, info]) => 'closeCode' in info)
    .map(([code, info]) => `${(info as { closeCode: number }).closeCode} (${code})`)
  return (
    `Gateway "${definition.name}" in namespace "${definition.namespace}". Upgrade with a GET on ${definition.path}; ` +
    `refusals are HTTP statuses before the upgrade (401, 403, 404, 503). Close codes: 1000 normal, ${closeCodes.join(', ')}, 1009 frame too large.`
  )
}

function servers(input: Readonly<Record<string, AsyncApiServer>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).map(([name, server]) => [
      new Keys().take(name),
      { host: server.host, protocol: server.protocol ?? 'ws', ...(server.description ? { description: server.description } : {}) },
    ]),
  )
}

/** Component keys must match `^[A-Za-z0-9_.-]+$`; event names and paths may hold anything. */
class Keys {
  readonly #used = new Set<string>()

  take(raw: string): string {
    const base = raw.replace(/[^A-Za-z0-9_.-]/g, '_') || '_'
    let key = base
    for (let n = 2; this.#used.has(key); n++) key = `${base}_${n}`
    this.#used.add(key)
    return key
  }

  scoped(channelId: string, name: string): string {
    return this.take(`${channelId}.${name}`)
  }
}
