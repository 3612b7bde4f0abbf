import { FailureReason } from '../../shared/api/events'
import type { CourierAction, CustomerBehaviour, Generate } from './schema'

/**
 * A small deterministic random source (mulberry32 over an FNV-1a hash of the seed): the same seed gives the
 * same round on every machine and every Node version, which `Math.random` cannot promise.
 */
export class SeededRandom {
  private state: number

  constructor(seed: string | number) {
    let hash = 0x811c9dc5
    for (const char of String(seed)) {
      hash ^= char.codePointAt(0)!
      hash = Math.imul(hash, 0x01000193) >>> 0
    }
    this.state = hash
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n)
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!
  }
}

/** Amounts due at the door in the Xiangcheng pilot's range, in fen: small parcels to a phone. */
const COD_AMOUNTS_FEN = [
  990, 1990, 2850, 3850, 4500, 5990, 6660, 7800, 8990, 12800, 15900, 19900, 25600, 29900, 31200, 45800, 69900,
]
const STREETS = ['嘉元路', '阳澄湖西路', '澄阳路', '采莲路', '太阳路', '广济北路', '相城大道', '华元路']
const ESTATES = ['玉成家园', '阳光花园', '澄和苑', '御窑花园', '嘉盛苑', '元和新村', '香城花园']
const SURNAMES = ['吴', '王', '陈', '周', '徐', '沈', '朱', '陆', '顾', '钱']

/** A stop as the round plays it, whether the file listed it or the generator made it. */
export interface GeneratedStop {
  codFen: number
  parcels: number
  action: CourierAction
  customer: CustomerBehaviour | null
  takenFen: number | null
}

/**
 * Makes `spec.stops` stops from the seed: COD (`cod`) or prepaid; a COD delivery fails (`failed` of them, with a
 * reason drawn from the five), or is paid digitally (`digital`) or in cash, and some cash comes up short
 * (`cashShort`); `multiParcel` of orders have two parcels. The same seed always gives the same stops.
 */
export function generateStops(spec: Generate, random: SeededRandom): GeneratedStop[] {
  const stops: GeneratedStop[] = []
  for (let i = 0; i < spec.stops; i++) {
    const parcels = random.chance(spec.multiParcel) ? 2 : 1
    const isCod = random.chance(spec.cod)
    const codFen = isCod ? random.pick(COD_AMOUNTS_FEN) : 0
    // A prepaid order completes on the scan, so only an order with money due can fail at the door.
    if (isCod && random.chance(spec.failed)) {
      stops.push({
        codFen,
        parcels,
        action: { kind: 'fail', reason: random.pick(FailureReason.options) },
        customer: null,
        takenFen: null,
      })
      continue
    }
    if (!isCod) {
      stops.push({ codFen, parcels, action: { kind: 'prepaid' }, customer: null, takenFen: null })
    } else if (random.chance(spec.digital)) {
      stops.push({
        codFen,
        parcels,
        action: { kind: 'digital' },
        customer: { kind: 'pays', afterMs: 0 },
        takenFen: null,
      })
    } else if (random.chance(spec.cashShort)) {
      stops.push({ codFen, parcels, action: { kind: 'cash-short' }, customer: null, takenFen: shortBy(codFen) })
    } else {
      stops.push({ codFen, parcels, action: { kind: 'cash' }, customer: null, takenFen: null })
    }
  }
  return stops
}

/** What a customer short of change hands over when the file does not say: one yuan less, or half of it. */
export function shortBy(codFen: number): number {
  return codFen > 100 ? codFen - 100 : Math.floor(codFen / 2)
}

/**
 * Made-up waybills for a round, the same for the same seed: `JDRD`, six digits drawn once for the round, and
 * the stop's number, so two stops never share one.
 */
export function roundWaybills(random: SeededRandom): (n: number) => string {
  const prefix = String(random.below(1_000_000)).padStart(6, '0')
  return (n) => `JDRD${prefix}${String(n).padStart(5, '0')}`
}

/** An address and recipient in Xiangcheng district for stop `n`. */
export function roundAddress(random: SeededRandom, n: number): { address: string; recipientName: string } {
  const street = random.pick(STREETS)
  const estate = random.pick(ESTATES)
  const number = 10 + random.below(400)
  const building = 1 + random.below(30)
  return {
    address: `苏州市相城区${street}${number}号 ${estate}${building}幢${1 + (n % 6)}0${1 + (n % 4)}室`,
    recipientName: `${random.pick(SURNAMES)}${random.pick(['磊', '芳', '静', '强', '婷', '军', '敏'])}`,
  }
}
