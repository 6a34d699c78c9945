import type WebSocket from 'ws'
import type { PresenceMember } from '../../src/index.js'

/** The key of a member: its user id, or its one connection's id. */
export function keyOf(member: PresenceMember): string {
  return member.userId === null ? `#${member.connections[0]!.id}` : member.userId
}

/**
 * Follows the `$presence` frames one watcher receives for one room, as a client would: the first
 * frame's members, then each frame's joins and leaves. Anything a correct stream never does (a
 * diff before the members, a join of a present member, a leave of an absent one) is recorded in
 * `violations`.
 */
export class PresenceWatch {
  readonly members = new Map<string, PresenceMember>()
  readonly violations: string[] = []
  /** Every frame's data, in order. */
  readonly frames: Array<Record<string, unknown>> = []
  readonly joins: Array<{ key: string; at: number }> = []
  readonly leaves: Array<{ key: string; at: number }> = []
  #started = false

  /** Starts following `room` on a socket (before the join that makes it a watcher). */
  constructor(
    readonly room: string,
    ws: WebSocket,
  ) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { event?: string; data?: Record<string, unknown> }
      if (frame.event === '$presence' && frame.data?.room === room) this.#apply(frame.data)
    })
  }

  get started(): boolean {
    return this.#started
  }

  /** Keys of the members now, sorted. */
  keys(): string[] {
    return [...this.members.keys()].sort()
  }

  #apply(data: Record<string, unknown>): void {
    const at = Date.now()
    this.frames.push(data)
    if (Array.isArray(data.members)) {
      if (this.#started) this.violations.push('members sent twice')
      this.#started = true
      for (const member of data.members as PresenceMember[]) this.members.set(keyOf(member), member)
      return
    }
    if (!this.#started) this.violations.push('a diff before the members')
    for (const member of (data.leaves as PresenceMember[]) ?? []) {
      const key = keyOf(member)
      if (!this.members.delete(key)) this.violations.push(`leave of absent ${key}`)
      this.leaves.push({ key, at })
    }
    for (const member of (data.joins as PresenceMember[]) ?? []) {
      const key = keyOf(member)
      if (this.members.has(key)) this.violations.push(`join of present ${key}`)
      this.members.set(key, member)
      this.joins.push({ key, at })
    }
  }
}
