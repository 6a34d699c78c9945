import { PRESENCE_EVENT } from '../protocol/control-events.js'
import { MAX_PRESENCE_META_BYTES } from '../registry/presence-entry.js'
import type { JsonSchema } from './json-schema-of.js'

const CONNECTION: JsonSchema = {
  type: 'object',
  required: ['id', 'nodeId'],
  properties: {
    id: { type: 'string', description: 'The connection id.' },
    nodeId: { type: 'string', description: 'The node the connection lives on.' },
    meta: { description: `What the connection joined the room with: any JSON value of at most ${MAX_PRESENCE_META_BYTES} bytes.` },
  },
}

const MEMBER: JsonSchema = {
  type: 'object',
  required: ['userId', 'connections'],
  description: 'One user with their connections in the room; a connection without a user id is a member of its own (userId null).',
  properties: {
    userId: { oneOf: [{ type: 'string' }, { type: 'null' }] },
    connections: { type: 'array', minItems: 1, items: CONNECTION },
  },
}

const MEMBERS: JsonSchema = { type: 'array', items: MEMBER }

/** The `$presence` push as an AsyncAPI message component. */
export const PRESENCE_MESSAGE = {
  name: PRESENCE_EVENT,
  title: 'presence',
  summary: 'Who is in a room, for a connection its join handler joined with { presence: true }.',
  description:
    'First { "room", "members" }: everyone in the room, before the join is answered. Then, for each tick in which members came or went, ' +
    '{ "room", "joins", "leaves" }, per user: a second connection of a user present is no join, and a leave comes with the last one. ' +
    'Sent until the connection leaves the room. A node that dies takes its members with it once the cluster notices (nodeTimeoutMs + heartbeatIntervalMs: 9 s by default).',
  payload: {
    type: 'object',
    required: ['event', 'data'],
    properties: {
      event: { type: 'string', const: PRESENCE_EVENT },
      data: {
        oneOf: [
          { type: 'object', required: ['room', 'members'], properties: { room: { type: 'string' }, members: MEMBERS } },
          { type: 'object', required: ['room', 'joins', 'leaves'], properties: { room: { type: 'string' }, joins: MEMBERS, leaves: MEMBERS } },
        ],
      },
    },
  },
} as const
