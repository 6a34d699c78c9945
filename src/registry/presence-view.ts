import type { PresenceMember } from '../contracts/presence.js'
import { memberKey, type PresenceEntry, toMember } from './presence-entry.js'

/** What changed in a room's presence since the last `takeDiff()`, per member. */
export interface PresenceDiff {
  readonly joins: PresenceMember[]
  readonly leaves: PresenceMember[]
}

/**
 * The presence of one room as this node sees it: every node's connections in the room, grouped
 * into members (one per user id; a connection without one is its own member). Changes are
 * recorded per member, so `takeDiff()` reports each member that came or went since the last
 * call once — a user's second tab is no join, and a member who left and came back within one
 * diff is no change at all.
 */
export class PresenceView {
  /** Node id → connection id → entry. */
  readonly #nodes = new Map<string, Map<string, PresenceEntry>>()
  /** Member key → its connections. */
  readonly #members = new Map<string, Map<string, PresenceEntry>>()
  /** Members changed since the last diff → as they were then (undefined: absent). */
  readonly #before = new Map<string, PresenceMember | undefined>()

  get dirty(): boolean {
    return this.#before.size > 0
  }

  /** Connections in the room, every node. */
  get size(): number {
    let size = 0
    for (const entries of this.#nodes.values()) size += entries.size
    return size
  }

  /** Adds or replaces a connection. */
  add(entry: PresenceEntry): void {
    let entries = this.#nodes.get(entry.nodeId)
    if (!entries) this.#nodes.set(entry.nodeId, (entries = new Map()))
    const previous = entries.get(entry.id)
    if (previous !== undefined && memberKey(previous) !== memberKey(entry)) this.#unlink(previous)
    const key = memberKey(entry)
    this.#touch(key)
    entries.set(entry.id, entry)
    let member = this.#members.get(key)
    if (!member) this.#members.set(key, (member = new Map()))
    member.set(entry.id, entry)
  }

  /** Removes a connection of `nodeId`, if present. */
  remove(nodeId: string, id: string): void {
    const entries = this.#nodes.get(nodeId)
    const entry = entries?.get(id)
    if (entry === undefined) return
    entries!.delete(id)
    if (entries!.size === 0) this.#nodes.delete(nodeId)
    this.#unlink(entry)
  }

  /** Makes `entries` the whole of `nodeId`'s part (a node's full answer). */
  replaceNode(nodeId: string, entries: readonly PresenceEntry[]): void {
    const fresh = new Set<string>()
    for (const entry of entries) fresh.add(entry.id)
    for (const id of [...(this.#nodes.get(nodeId)?.keys() ?? [])]) if (!fresh.has(id)) this.remove(nodeId, id)
    for (const entry of entries) this.add(entry)
  }

  /** Removes every connection of a node; returns whether it had any. */
  dropNode(nodeId: string): boolean {
    const entries = this.#nodes.get(nodeId)
    if (entries === undefined) return false
    this.#nodes.delete(nodeId)
    for (const entry of entries.values()) this.#unlink(entry)
    return true
  }

  /** Every member now. */
  members(): PresenceMember[] {
    const members: PresenceMember[] = []
    for (const connections of this.#members.values()) members.push(toMember(first(connections).userId, connections.values()))
    return members
  }

  /** The members that came and went since the last call, or undefined when none did. */
  takeDiff(): PresenceDiff | undefined {
    if (this.#before.size === 0) return undefined
    const joins: PresenceMember[] = []
    const leaves: PresenceMember[] = []
    for (const [key, before] of this.#before) {
      const now = this.#members.get(key)
      if (before === undefined && now !== undefined) joins.push(toMember(first(now).userId, now.values()))
      else if (before !== undefined && now === undefined) leaves.push(before)
    }
    this.#before.clear()
    return joins.length + leaves.length === 0 ? undefined : { joins, leaves }
  }

  #unlink(entry: PresenceEntry): void {
    const key = memberKey(entry)
    const member = this.#members.get(key)
    if (member === undefined || member.get(entry.id) !== entry) return
    this.#touch(key)
    member.delete(entry.id)
    if (member.size === 0) this.#members.delete(key)
  }

  /** Records how a member was before its first change since the last diff. */
  #touch(key: string): void {
    if (this.#before.has(key)) return
    const member = this.#members.get(key)
    this.#before.set(key, member === undefined ? undefined : toMember(first(member).userId, member.values()))
  }
}

function first(connections: Map<string, PresenceEntry>): PresenceEntry {
  return connections.values().next().value!
}
