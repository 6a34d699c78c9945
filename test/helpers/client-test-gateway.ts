import { defineGateway, WsError } from '../../src/index.js'

/** Releases of `hang` handlers by connection id: a hung handler ends when its client goes (so `app.close()` can drain). */
const hung = new Map<string, Array<() => void>>()

function hangUntilDisconnect(connectionId: string): Promise<null> {
  return new Promise((resolve) => {
    const list = hung.get(connectionId) ?? []
    list.push(() => resolve(null))
    hung.set(connectionId, list)
  })
}

/**
 * The gateway the client tests talk to, in process or in a child process
 * (client-test-server.ts). A builder, so its type types the client under test.
 */
export const clientTestGateway = defineGateway({ path: '/ws' })
  .subscribe('echo', (data: unknown) => data)
  .subscribe('add', ({ a, b }: { a: number; b: number }) => a + b)
  .subscribe('join', async ({ room }: { room: string }, client) => {
    if (room.startsWith('private-')) throw new WsError('FORBIDDEN', `Not allowed in ${room}`)
    // A join that takes a while (a shared room index, say): frames sent behind it are handled first.
    if (room.startsWith('slow-')) await new Promise((resolve) => setTimeout(resolve, 100))
    await client.join(room)
    return { room }
  })
  .subscribe('leave', async ({ room }: { room: string }, client) => {
    await client.leave(room)
    return { room }
  })
  .subscribe('publish', ({ room, text }: { room: string; text: string }, client) => {
    client.server.to(room).emit('message', { room, text })
  })
  /** The rooms the server has this connection in: proves what was re-joined, and when. */
  .subscribe('rooms', (_data: undefined, client) => [...client.rooms].sort())
  .subscribe('slow', async ({ ms, value }: { ms: number; value: string }) => {
    await new Promise((resolve) => setTimeout(resolve, ms))
    return value
  })
  /** Answers nothing while the client is connected: the request stays in flight until it times out or the connection drops. */
  .subscribe('hang', (_data: undefined, client) => hangUntilDisconnect(client.id))
  .subscribe('fail', (_data: undefined): string => {
    throw new WsError('NOT_TODAY', 'The answer is no')
  })
  .subscribe('crash', (_data: undefined): string => {
    throw new Error('secret internal detail')
  })
  .subscribe('kick', ({ code, reason }: { code: number; reason: string }, client) => {
    client.close(code, reason)
  })
  .onDisconnect((client) => {
    for (const release of hung.get(client.id) ?? []) release()
    hung.delete(client.id)
  })
