/** Counters of a gateway's history since it started. */
export interface HistoryStats {
  /** Messages appended to a room's history. */
  appended: number
  /**
   * Messages the store could not take (unreachable): not sent; the room's stream is marked broken
   * (a new epoch or a gap mark), so members hear `recovered: false` and no client resumes across them.
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
