import { describe, expect, it } from 'vitest'
import { openDeviceDb } from '../db'
import { deviceMigrations } from '../migrations'
import { createClockOffset } from './offset'

const db = () => openDeviceDb(':memory:', deviceMigrations)

describe('the clock offset', () => {
  it('is the answer’s time against the middle of the round trip, and the better reading wins', () => {
    const store = db()
    let device = 1_000_000
    const clock = createClockOffset(store, () => new Date(device))
    expect(clock.offsetMs()).toBeNull()
    expect(clock.backendNow().getTime()).toBe(device)
    // A `Date` header (±500 ms) over a 200 ms round trip: the backend is 13 h behind.
    const behind = -13 * 3600_000
    clock.observe({
      serverMs: device + 100 + behind + 300,
      resolutionMs: 500,
      sentMs: device,
      receivedMs: device + 200,
    })
    expect(Math.abs(clock.offsetMs()! - behind)).toBeLessThan(600)
    // A millisecond reading over a 20 ms round trip is better, and replaces it.
    device += 5000
    clock.observe({ serverMs: device + 10 + behind, resolutionMs: 0, sentMs: device, receivedMs: device + 20 })
    expect(clock.offsetMs()).toBe(behind)
    // A rougher reading that agrees does not move it.
    clock.observe({ serverMs: device + 400 + behind, resolutionMs: 500, sentMs: device, receivedMs: device + 300 })
    expect(clock.offsetMs()).toBe(behind)
    expect(clock.backendNow().getTime()).toBe(device + behind)
  })

  it('follows a device clock that was set or jumped, and survives a restart', () => {
    const store = db()
    let device = 1_000_000
    const clock = createClockOffset(store, () => new Date(device))
    clock.observe({ serverMs: device + 10, resolutionMs: 0, sentMs: device, receivedMs: device + 20 })
    expect(clock.offsetMs()).toBe(0)
    // The courier sets the device's clock an hour ahead: the next reading cannot be the same clock.
    device += 3600_000
    clock.observe({ serverMs: device - 3600_000 + 10, resolutionMs: 500, sentMs: device, receivedMs: device + 20 })
    expect(Math.abs(clock.offsetMs()! + 3600_000)).toBeLessThan(20)
    // A new run of the core knows it before it reaches the backend again.
    expect(Math.abs(createClockOffset(store, () => new Date(device)).offsetMs()! + 3600_000)).toBeLessThan(20)
  })

  it('ignores readings that cannot be right', () => {
    const clock = createClockOffset(db(), () => new Date(0))
    clock.observe({ serverMs: Number.NaN, resolutionMs: 0, sentMs: 0, receivedMs: 10 })
    clock.observe({ serverMs: 5, resolutionMs: 0, sentMs: 10, receivedMs: 0 })
    expect(clock.offsetMs()).toBeNull()
  })
})
