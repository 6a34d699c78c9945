import { RECOVERY_EVENT } from '../protocol/control-events.js'
import { MAX_EPOCH_LENGTH, MAX_SINCE_ROOMS } from '../protocol/since-field.js'
import type { JsonSchema } from './json-schema-of.js'

const REASONS = ['epoch-changed', 'too-far-behind', 'history-off', 'store-unavailable', 'too-many-replays']

/** The `$recovery` push as an AsyncAPI message component. */
export const RECOVERY_MESSAGE = {
  name: RECOVERY_EVENT,
  title: 'recovery',
  summary: 'The answer to a join of a room with history (or a join that sent "since"): whether what the client missed is replayed.',
  description:
    'Sent before the replayed messages and before any newer live message of the room. recovered: true is followed by exactly "replayed" ' +
    'messages (each with room, offset and epoch) in offset order, then live ones with a higher offset, each once. recovered: false ' +
    'replays nothing and names a reason: the client refetches the room\'s state. "epoch" and "offset" are the room\'s stream and newest ' +
    'offset at the read (absent when the store was not read).',
  payload: {
    type: 'object',
    required: ['event', 'data'],
    properties: {
      event: { type: 'string', const: RECOVERY_EVENT },
      data: {
        type: 'object',
        required: ['room', 'recovered', 'replayed'],
        properties: {
          room: { type: 'string' },
          recovered: { type: 'boolean' },
          reason: { type: 'string', enum: REASONS },
          epoch: { type: 'string' },
          offset: { type: 'integer', minimum: 0 },
          replayed: { type: 'integer', minimum: 0 },
        },
      },
    },
  },
} as const

/** The `since` field of a request envelope. */
export const SINCE_FIELD: JsonSchema = {
  type: 'object',
  maxProperties: MAX_SINCE_ROOMS,
  description:
    'Per room the request joins: where the client is in its history ({ offset, epoch }: a resume) or how much of it it wants ({ last }). ' +
    'The join replays from there, answered by a $recovery frame.',
  additionalProperties: {
    oneOf: [
      {
        type: 'object',
        required: ['offset', 'epoch'],
        properties: { offset: { type: 'integer', minimum: 0 }, epoch: { type: 'string', minLength: 1, maxLength: MAX_EPOCH_LENGTH } },
      },
      { type: 'object', required: ['last'], properties: { last: { type: 'integer', minimum: 1 } } },
    ],
  },
}

/** The fields a push to a room with history carries besides event and data. */
export const HISTORY_PUSH_FIELDS: Record<string, JsonSchema> = {
  room: { type: 'string', description: 'Pushes to a room with history: the room.' },
  offset: { type: 'integer', minimum: 1, description: "Pushes to a room with history: the message's place in the room's stream, increasing (gaps allowed)." },
  epoch: { type: 'string', description: "Pushes to a room with history: names the room's stream; a new epoch means the history before it is gone." },
}
