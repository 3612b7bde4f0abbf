import { describe, expect, it } from 'vitest'
import { HEARTBEAT_INTERVAL_MS, OUT_OF_CONTACT_MS, outOfContact } from './device'

describe('out of contact, judged by the heartbeat', () => {
  it('never calls a device lost that heartbeats on time, even with an answer at the 10 s timeout', () => {
    expect(outOfContact(0)).toBe(false)
    expect(outOfContact(HEARTBEAT_INTERVAL_MS + 10_000)).toBe(false)
  })

  it('lets a device miss two heartbeats (a stairwell, a failed answer) and calls it lost after the third', () => {
    expect(outOfContact(2 * HEARTBEAT_INTERVAL_MS + 10_000)).toBe(false)
    expect(outOfContact(3 * HEARTBEAT_INTERVAL_MS + 1)).toBe(true)
    expect(OUT_OF_CONTACT_MS).toBeGreaterThanOrEqual(2 * HEARTBEAT_INTERVAL_MS + 10_000)
  })

  it('does not judge a device never heard from', () => {
    expect(outOfContact(null)).toBe(false)
  })
})
