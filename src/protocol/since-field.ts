/**
 * The `since` field of a request envelope: per room, where the client is in the room's history
 * (`{ "offset": 41, "epoch": "k3f9a" }`, a resume) or how much of it it wants (`{ "last": 50 }`).
 * The handler's `client.join(room)` replays from there. Checked here, at the edge, so the
 * history engine only ever sees well-formed positions.
 */
export type SinceField = Readonly<Record<string, SinceEntry>>

/** One room's entry of `since`. */
export type SinceEntry = { readonly offset: number; readonly epoch: string } | { readonly last: number }

/** Rooms one envelope may name in `since`. */
export const MAX_SINCE_ROOMS = 100
/** Longest epoch accepted. */
export const MAX_EPOCH_LENGTH = 64
const MAX_ROOM_LENGTH = 256

/** The `since` of a frame, or a wire-safe reason why it is malformed. */
export function readSince(value: unknown): SinceField | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return '"since" must be an object { "<room>": { offset, epoch } | { last } }'
  const rooms = Object.keys(value)
  if (rooms.length > MAX_SINCE_ROOMS) return `"since" may name at most ${MAX_SINCE_ROOMS} rooms`
  const since: Record<string, SinceEntry> = Object.create(null) as Record<string, SinceEntry>
  for (const room of rooms) {
    if (room.length === 0 || room.length > MAX_ROOM_LENGTH) return `"since" names a room of 1-${MAX_ROOM_LENGTH} characters`
    const entry = readEntry((value as Record<string, unknown>)[room])
    if (entry === undefined) return `"since" of room ${JSON.stringify(room.slice(0, 64))} must be { "offset": <positive integer>, "epoch": <string> } or { "last": <positive integer> }`
    since[room] = entry
  }
  return since
}

function readEntry(value: unknown): SinceEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { offset, epoch, last } = value as Record<string, unknown>
  if (last !== undefined) return isPositiveInteger(last) && offset === undefined ? { last } : undefined
  if (!isPositiveInteger(offset) && offset !== 0) return undefined
  if (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > MAX_EPOCH_LENGTH) return undefined
  return { offset: offset as number, epoch }
}

function isPositiveInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0
}
