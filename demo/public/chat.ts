// The demo chat page, written like user code: gangway-ws/client typed by the demo gateway's contract.
// `npm run build` bundles it for the browser into dist/demo/public/chat.js (scripts/bundle-demo.mjs).
import { createClient, GatewayError, type PresenceMember, type StatusChange } from 'gangway-ws/client'
import type { ChatContract } from '../chat-gateway.js'

/** How many recent messages a first join shows, and a failed recovery reloads (the gateway's RECENT_MESSAGES). */
const RECENT = 50

/** What this page publishes into a room (the gateway relays any payload as is). */
interface ChatMessage {
  name: string
  text: string
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const status = $<HTMLSpanElement>('status')
const detail = $<HTMLDivElement>('detail')
const nameInput = $<HTMLInputElement>('name')
const roomInput = $<HTMLInputElement>('room')
const textInput = $<HTMLInputElement>('text')
const sendButton = $<HTMLButtonElement>('send')
const messages = $<HTMLUListElement>('messages')
const online = $<HTMLUListElement>('online')

/** Who this browser is: one id for all its tabs, so they count as one member of a room. */
function visitorId(): string {
  const key = 'gangway-demo-visitor'
  let id = localStorage.getItem(key)
  if (id === null) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(6)), (byte) => byte.toString(16).padStart(2, '0')).join('')
    localStorage.setItem(key, id)
  }
  return id
}

// Every join (and the re-join after a reconnect) asks for the room's presence, with the name to show in it.
const client = createClient<ChatContract>(`/ws?user=${visitorId()}`, {
  rooms: { data: (room) => ({ room, name: nameInput.value.trim() || undefined, presence: true }) },
})
let currentRoom: string | undefined

client.onStatus(showStatus)
client.onError((error, context) => show(`${context.room ? `Room ${context.room}: ` : ''}${error.message} (${error.code})`, 'error'))
client.on('message', (payload) => {
  if (isChatMessage(payload)) show(payload.text, undefined, payload.name)
})
client.on('left', ({ room }) => {
  if (room === currentRoom) show('Someone left the room')
})
client.onPresence(({ room, members }) => {
  if (room === currentRoom) showOnline(members)
})
// Every room keeps a history: after a reconnect the client re-joins from the last message it saw and the gateway
// replays what it missed (recovered). When it cannot (the room kept fewer, the server lost its history), no message
// of the gap comes: the page says so and reloads the room's recent messages instead.
client.onRecovery(({ room, recovered, reason }) => {
  if (room === currentRoom && !recovered) void reload(room, reason)
})

$<HTMLFormElement>('join-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const room = roomInput.value.trim()
  const name = nameInput.value.trim()
  if (!room || !name || room === currentRoom) return
  try {
    if (currentRoom !== undefined) await client.leave(currentRoom)
    await client.join(room, { last: RECENT }) // the room's recent messages first, then live ones
    currentRoom = room
    showOnline(client.presence(room))
    show(`You joined ${room} as ${name}`)
    textInput.disabled = sendButton.disabled = false
    textInput.focus()
  } catch (error) {
    show(`Could not join ${room}: ${describe(error)}`, 'error')
  }
})

$<HTMLFormElement>('send-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const text = textInput.value.trim()
  if (!text || currentRoom === undefined) return
  textInput.value = ''
  const message: ChatMessage = { name: nameInput.value.trim(), text }
  try {
    // A request, not an emit: while the connection is down it waits in the client's queue, and
    // the page learns whether it was delivered, timed out or lost with the connection.
    await client.request('publish', { room: currentRoom, payload: message })
  } catch (error) {
    show(`Not sent: ${describe(error)}`, 'error')
  }
})

/**
 * Starts the log again: a notice, the room's recent messages, then live ones. Only messages up to the offset the
 * recovery answer named are taken from the history: later ones arrive live (after the notice) and are shown then.
 */
async function reload(room: string, reason: string | undefined): Promise<void> {
  const upTo = client.position(room)?.offset ?? Infinity
  messages.replaceChildren()
  const notice = show(`Missed messages could not be recovered (${reason ?? 'unknown'}): showing the last ${RECENT} of ${room} again`, 'notice')
  try {
    const recent = await client.request('history', { room, limit: RECENT })
    const lines = recent.messages.filter((m) => m.offset <= upTo && m.event === 'message' && isChatMessage(m.data))
    notice.after(...lines.map((m) => line((m.data as ChatMessage).text, undefined, (m.data as ChatMessage).name)))
  } catch (error) {
    show(`Could not reload ${room}: ${describe(error)}`, 'error')
  }
}

function showStatus(change: StatusChange): void {
  status.dataset.state = change.status
  status.textContent = change.status
  if (change.status === 'open') detail.textContent = currentRoom ? `Connected; in ${[...client.rooms].join(', ') || 'no room'}` : 'Connected'
  else if (change.delayMs !== undefined) detail.textContent = `Connection lost${change.code ? ` (${change.code})` : ''}; attempt ${change.attempt} in ${(change.delayMs / 1000).toFixed(1)} s`
  else if (change.status === 'closed') detail.textContent = `Disconnected for good (${change.code ?? ''} ${change.reason ?? ''}); reload to start again`
}

/** Who is in the room: one line per user (all their tabs), with the name they joined with. */
function showOnline(members: readonly PresenceMember[]): void {
  online.replaceChildren(
    ...members.map((member) => {
      const item = document.createElement('li')
      const names = member.connections.map((c) => (c.meta as { name?: unknown } | undefined)?.name).filter((n): n is string => typeof n === 'string')
      item.dataset.user = member.userId ?? member.connections[0]!.id
      item.textContent = names[0] ?? 'anonymous'
      return item
    }),
  )
}

function show(text: string, kind: 'system' | 'error' | 'notice' = 'system', from?: string): HTMLLIElement {
  const item = line(text, kind, from)
  messages.append(item)
  messages.scrollTop = messages.scrollHeight
  return item
}

function line(text: string, kind: 'system' | 'error' | 'notice' = 'system', from?: string): HTMLLIElement {
  const item = document.createElement('li')
  if (from === undefined) item.className = kind
  else {
    const who = document.createElement('span')
    who.className = 'from'
    who.textContent = from
    item.append(who)
  }
  item.append(document.createTextNode(text))
  return item
}

function isChatMessage(value: unknown): value is ChatMessage {
  const candidate = value as Partial<ChatMessage> | null
  return typeof candidate?.name === 'string' && typeof candidate.text === 'string'
}

function describe(error: unknown): string {
  return error instanceof GatewayError ? `${error.message} (${error.code})` : String(error)
}
