import type { AsyncApiOptions } from 'gangway-ws'

const RoomReply = { type: 'object', required: ['room'], properties: { room: { type: 'string' } } }
const PresenceReply = {
  type: 'object',
  required: ['room', 'members'],
  properties: {
    room: { type: 'string' },
    members: {
      type: 'array',
      items: {
        type: 'object',
        required: ['userId', 'connectionIds'],
        properties: { userId: { oneOf: [{ type: 'string' }, { type: 'null' }] }, connectionIds: { type: 'array', items: { type: 'string' } } },
      },
    },
  },
}

const HistoryReply = {
  type: 'object',
  required: ['room', 'epoch', 'offset', 'messages'],
  properties: {
    room: { type: 'string' },
    epoch: { type: 'string' },
    offset: { type: 'integer', minimum: 0 },
    messages: {
      type: 'array',
      items: { type: 'object', required: ['offset', 'event', 'data'], properties: { offset: { type: 'integer', minimum: 1 }, event: { type: 'string' }, data: {} } },
    },
  },
}

/**
 * What the code of the demo gateway cannot say about itself: its pushes and
 * the shape of its replies. Used by the demo server for /asyncapi.json and by
 * `gangway-ws asyncapi dist/demo/chat-gateway.js dist/demo/chat-asyncapi.js`.
 */
export const asyncApiOptions: AsyncApiOptions = {
  title: 'gangway demo chat',
  version: '1.0.0',
  gateways: {
    '/ws': {
      events: {
        echo: { summary: 'Replies with the same data.' },
        join: { summary: 'Joins a room; with "presence": true, $presence frames follow (name: shown in the room\'s presence).', reply: RoomReply },
        leave: { summary: 'Leaves a room.', reply: RoomReply },
        presence: { summary: 'Who is in a room, on every node: one member per user id with its connection ids.', reply: PresenceReply },
        history: { summary: 'The room\'s last `limit` messages (50 by default), oldest first, with the stream\'s epoch and newest offset.', reply: HistoryReply },
        publish: { summary: 'Sends payload to every member of the room as a "message" push (kept in the room\'s history).' },
      },
      pushes: {
        welcome: {
          summary: 'Sent on connect.',
          schema: { type: 'object', required: ['connectionId'], properties: { connectionId: { type: 'string' } } },
        },
        message: { summary: 'A payload published to a room this connection is in.' },
        left: {
          summary: 'A member of a room this connection is in disconnected.',
          schema: { type: 'object', required: ['connectionId', 'room'], properties: { connectionId: { type: 'string' }, room: { type: 'string' } } },
        },
      },
    },
  },
}
