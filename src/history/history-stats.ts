/** Counters of a gateway's history since it started. */
export interface HistoryStats {
  /** Messages appended to a room's history. */
  appended: number
  /**
   * Messages the store could not take (unreachable): delivered live without offset on this node
   * and through the cluster adapter, and the room starts a new epoch so no client resumes across them.
   */
  unsaved: number
  /** Joins answered `recovered: true` (resumes, `last: N`, and plain joins of history rooms). */
  recovered: number
  /** Joins answered `recovered: false`, by reason. */
  notRecovered: Record<string, number>
  /** Messages replayed to connections. */
  replayed: number
  /** Connections closed because too many live messages arrived while their replay was sent. */
  heldOverflow: number
}

export function emptyHistoryStats(): HistoryStats {
  return { appended: 0, unsaved: 0, recovered: 0, notRecovered: {}, replayed: 0, heldOverflow: 0 }
}
