import { randomBytes } from 'node:crypto'

/** A random node id: 8 characters of [0-9a-z]. */
export function randomNodeId(): string {
  const bytes = randomBytes(8)
  let id = ''
  for (const byte of bytes) id += (byte % 36).toString(36)
  return id
}

/**
 * Connection ids `<nodeId>-<counter>`: unique across nodes as long as node ids
 * are, and never reused within a process (the counter only grows).
 */
export class ConnectionIds {
  #next = 0
  constructor(readonly nodeId: string) {}

  next(): string {
    return `${this.nodeId}-${(this.#next++).toString(36)}`
  }
}
