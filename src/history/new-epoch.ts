import { randomBytes } from 'node:crypto'

/** A fresh epoch: 12 random url-safe characters, so two streams of one room never share one. */
export function newEpoch(): string {
  return randomBytes(9).toString('base64url')
}
