import { fileURLToPath } from 'node:url'
import { defineGateway, type Client } from '../../src/index.js'

/** The script of the process holding many sockets (see socket-holder.ts), for `fork`. */
export const holderScript = fileURLToPath(new URL('./socket-holder.js', import.meta.url))

/** The gateway socket-holder's sockets talk to: `join` a room (they all join "herd"), `echo`. */
export const herd = defineGateway({ path: '/ws' })
  .subscribe('join', async (room: string, client: Client) => {
    await client.join(room)
    return room
  })
  .subscribe('echo', (d) => d)
