import { describe, expect, it } from 'vitest'
import { lanes } from './lanes'

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('lanes', () => {
  it('runs at most `count` at once and the rest in arrival order, releasing a lane whatever the work ended in', async () => {
    const lane = lanes(2)
    const started: number[] = []
    const finish = new Map<number, { resolve: () => void; reject: (error: Error) => void }>()
    const all = [0, 1, 2, 3, 4].map((i) =>
      lane
        .run(
          () =>
            new Promise<void>((resolve, reject) => {
              started.push(i)
              finish.set(i, { resolve, reject })
            }),
        )
        .catch(() => 'failed'),
    )
    await tick()
    expect(started).toEqual([0, 1])
    expect([lane.busy, lane.waiting]).toEqual([2, 3])
    finish.get(1)!.reject(new Error('boom'))
    await tick()
    expect(started).toEqual([0, 1, 2])
    finish.get(0)!.resolve()
    await tick()
    expect(started).toEqual([0, 1, 2, 3])
    for (const i of [2, 3]) finish.get(i)!.resolve()
    await tick()
    finish.get(4)!.resolve()
    expect(await Promise.all(all)).toEqual([undefined, 'failed', undefined, undefined, undefined])
    expect([lane.busy, lane.waiting]).toEqual([0, 0])
  })

  it('refuses a count that is not a whole number from 1', () => {
    expect(() => lanes(0)).toThrow(RangeError)
    expect(() => lanes(1.5)).toThrow(RangeError)
  })
})
