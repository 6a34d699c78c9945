import type { AsyncApiOptions } from 'gangway-ws'

const RoomReply = { type: 'object', required: ['room'], properties: { room: { type: 'string' } } }

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
        join: { summary: 'Joins a room.', reply: RoomReply },
        leave: { summary: 'Leaves a room.', reply: RoomReply },
        publish: { summary: 'Sends payload to every member of the room as a "message" push.' },
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
