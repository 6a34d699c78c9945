import type { PresenceEntry } from './presence-entry.js'

/**
 * What a cluster adapter does for one namespace's presence. Without one (the in-memory adapter)
 * every connection is local and the registry's view of a room is complete by itself.
 */
export interface NamespacePresenceAdapter {
  /** A local connection joined a room (`entry`) or left it (`undefined`). Called for every room, watched or not. */
  changed(room: string, id: string, entry: PresenceEntry | undefined): void
  /**
   * The room got its first local watcher: fill its view (`LocalPresence`) with the other nodes'
   * connections and keep it up to date. Resolves when they answered, or after a bounded wait.
   */
  watch(room: string): Promise<void>
  /** The room's last local watcher is gone: stop following the other nodes' changes. */
  unwatch(room: string): void
}

/**
 * What the registry offers a cluster adapter: this node's entries, and the views of the rooms
 * that have local watchers, to which the adapter applies the other nodes' changes.
 */
export interface LocalPresence {
  /** This node's connections in a room. */
  entries(room: string): PresenceEntry[]
  /** Applies a node's changes to a watched room: upserts `set`, removes the ids in `del`. */
  apply(room: string, nodeId: string, set: readonly PresenceEntry[], del: readonly string[]): void
  /** Makes `entries` the whole of a node's part of a watched room. */
  replace(room: string, nodeId: string, entries: readonly PresenceEntry[]): void
  /** Removes a node's connections from a watched room. */
  drop(room: string, nodeId: string): void
}
