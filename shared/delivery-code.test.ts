import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DEFAULT_PROOF_RULES, DeliveryCodeCheck, EXAMPLE_PROOF_RULES, policyFor, policyNeedsCode } from './api/proof'
import { deliveryCodeCheck, deliveryCodeMatches, newDeliveryCode } from './delivery-code'
import { propertyParameters } from './testing/property'

describe('delivery code', () => {
  it('matches only its own code, with a salt of its own per order', async () => {
    const code = newDeliveryCode()
    expect(code).toMatch(/^\d{6}$/)
    const a = DeliveryCodeCheck.parse(await deliveryCodeCheck(code, 5))
    const b = await deliveryCodeCheck(code, 5)
    expect(a.salt).not.toBe(b.salt)
    expect(a.hash).not.toBe(b.hash)
    expect(await deliveryCodeMatches(a, code)).toBe(true)
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0')
    expect(await deliveryCodeMatches(a, wrong)).toBe(false)
    for (const junk of ['', '12345', '1234567', ' 123456', 'abcdef', `${code}\n`]) {
      expect(await deliveryCodeMatches(a, junk)).toBe(false)
    }
  })

  it('costs the device tens of milliseconds a check (the figure the brute-force estimate rests on)', async () => {
    const check = await deliveryCodeCheck('042917', 5)
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const start = performance.now()
      await deliveryCodeMatches(check, '000000')
      times.push(performance.now() - start)
    }
    const median = times.sort((x, y) => x - y)[2]!
    console.log(`delivery code check: median ${median.toFixed(1)} ms (scrypt N=2^15, r=8, p=1)`)
    // Slow enough that 10^6 guesses take hours; this is a floor, not a timing bar.
    expect(median).toBeGreaterThan(10)
  })
})

describe('proof policy from depot rules', () => {
  it('asks for nothing under the default rules, so a normal delivery stays at two actions', () => {
    const policy = policyFor(DEFAULT_PROOF_RULES, 5_000_000)
    expect(Object.values(policy.handover).every((reqs) => reqs.length === 0)).toBe(true)
    expect(policy.notHome).toEqual({ requires: [], call: false })
    expect(policyNeedsCode(policy)).toBe(false)
  })

  it('follows the example rules: over ¥500 a code or signature, a photo unattended and not home', () => {
    expect(policyFor(EXAMPLE_PROOF_RULES, 50_000).handover.recipient).toEqual([])
    const valuable = policyFor(EXAMPLE_PROOF_RULES, 50_001)
    expect(valuable.handover.recipient).toEqual([['code', 'signature']])
    expect(valuable.handover.door).toEqual([['photo']])
    expect(valuable.handover.locker).toEqual([['photo']])
    expect(valuable.handover.point).toEqual([['photo']])
    expect(valuable.notHome).toEqual({ requires: [['photo']], call: true })
    expect(policyNeedsCode(valuable)).toBe(true)
  })

  it('never asks a person for less than a cheaper order would need, and code only when the value rule applies', () => {
    fc.assert(
      fc.property(
        fc.record({
          valueOverFen: fc.option(fc.integer({ min: 0, max: 5_000_000 }), { nil: null }),
          valueProof: fc.constantFrom<('code' | 'signature')[]>(['code'], ['signature'], ['code', 'signature']),
          unattendedPhoto: fc.boolean(),
          familySignature: fc.boolean(),
          notHomePhoto: fc.boolean(),
          notHomeCall: fc.boolean(),
        }),
        fc.integer({ min: 0, max: 5_000_000 }),
        fc.integer({ min: 0, max: 5_000_000 }),
        (rules, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a]
          const cheap = policyFor(rules, low)
          const dear = policyFor(rules, high)
          expect(dear.handover.recipient.length).toBeGreaterThanOrEqual(cheap.handover.recipient.length)
          expect(policyNeedsCode(dear)).toBe(
            rules.valueProof.includes('code') && rules.valueOverFen !== null && high > rules.valueOverFen,
          )
          for (const reqs of Object.values(dear.handover)) for (const req of reqs) expect(req.length).toBeGreaterThan(0)
        },
      ),
      propertyParameters(200, 2_000),
    )
  })
})
