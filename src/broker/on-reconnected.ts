import type { BrokerState } from './broker-state.js'

/**
 * A broker state watcher that calls `back` each time the connection is usable again after it was
 * lost (not on the first connect): what a subscriber missed meanwhile is gone by.
 */
export function onReconnected(back: () => void): (state: BrokerState) => void {
  let lost = false
  return (state) => {
    if (state === 'reconnecting' || state === 'disconnected') lost = true
    else if (state === 'connected' && lost) {
      lost = false
      back()
    }
  }
}
