import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { BackendSchema } from '../db/schema'
import { createEnrollmentCode } from '../devices/enrollment'
import { routeDateOf } from '../manifests/route-date'
import { createCourier, createDepot, createDevice, createRoute, createSupervisor, type StopSpec } from './builders'

/** The demo's fixed identities and credentials, printed at start so a person or a round can log in. */
export const DEMO_DEPOT_ID = 'dep_SZXC0001'
export const DEMO_SUPERVISOR = { login: 'zhang.wei', password: 'tuotou-demo', name: '张伟' }
export const DEMO_COURIERS = [
  { id: 'cou_SZXC0001', staffId: 'SZ1001', pin: '1234', name: '李强' },
  { id: 'cou_SZXC0002', staffId: 'SZ1002', pin: '2345', name: '王芳' },
  { id: 'cou_SZXC0003', staffId: 'SZ1003', pin: '3456', name: '陈杰' },
] as const
export const DEMO_DEVICE_ID = 'dev_SZXC0001'
/** The demo device's credential: fixed, so a round or a person can use the enrolled demo device at once. */
export const DEMO_DEVICE_TOKEN = `tdv_${createHash('sha256').update('tuotou demo device 1').digest('base64url')}`
const TIME_ZONE = 'Asia/Shanghai'

/** A small deterministic generator (mulberry32): the same route every day, with that day's IDs and waybills. */
function generator(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const STREETS = [
  ['元和街道', '嘉元路'],
  ['元和街道', '御窑路'],
  ['元和街道', '华元路'],
  ['黄桥街道', '春申湖路'],
  ['太平街道', '阳澄湖东路'],
  ['元和街道', '相城大道'],
  ['北河泾街道', '澄阳路'],
  ['元和街道', '采莲路'],
  ['黄桥街道', '富元路'],
  ['北河泾街道', '蠡塘路'],
] as const
const ESTATES = ['玉成家园', '天虹花园', '和润家园', '中海国际社区', '金色江南', '朗诗蔚蓝', '澄和花园', '水韵花都']
const FAMILY = [
  '吴',
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '黄',
  '赵',
  '周',
  '徐',
  '孙',
  '朱',
  '胡',
  '郭',
  '何',
  '林',
  '郑',
]
const GIVEN = [
  '磊',
  '芳',
  '静',
  '伟',
  '敏',
  '强',
  '丽',
  '军',
  '洋',
  '勇',
  '艳',
  '杰',
  '娟',
  '涛',
  '秀英',
  '晓东',
  '雪',
  '婷',
]
/** Amounts a courier meets at the door, in fen. */
const AMOUNTS = [
  6660, 19900, 3580, 12800, 8990, 25800, 1990, 4650, 31200, 990, 129900, 5600, 7800, 15990, 23850, 4990, 9900, 16800,
  2880, 39900,
]

/** Today's 40 stops for the first demo courier: about 60% COD, some prepaid, a few multi-parcel orders. */
export function demoStops(): StopSpec[] {
  const random = generator(20_260_301)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  const stops: StopSpec[] = []
  let orderIndex = 0
  for (let s = 1; s <= 40; s++) {
    const [street, road] = pick(STREETS)
    const number = 10 + Math.floor(random() * 990)
    const estate = pick(ESTATES)
    const building = 1 + Math.floor(random() * 30)
    const address = `苏州市相城区${street}${road}${number}号 ${estate}${building}幢`
    const orders = s % 7 === 0 ? 2 : 1
    stops.push({
      address,
      orders: Array.from({ length: orders }, () => {
        orderIndex++
        const cod = random() < 0.6
        const room = `${1 + Math.floor(random() * 18)}0${1 + Math.floor(random() * 4)}室`
        const phone = `1${pick(['38', '39', '58', '59', '86', '87', '36', '77'])}${String(Math.floor(random() * 1e8)).padStart(8, '0')}`
        return {
          codFen: cod ? pick(AMOUNTS) : 0,
          recipientName: `${pick(FAMILY)}${pick(GIVEN)}`,
          recipientPhone: phone,
          address: `${address} ${room}`,
          // Orders 3, 17 and 30 come in two or three boxes.
          parcels: orderIndex === 3 ? 2 : orderIndex === 17 ? 3 : orderIndex === 30 ? 2 : 1,
        }
      }),
    })
  }
  // The first stop is always a COD order of ¥66.60, the amount the pilot's reports quote.
  stops[0]!.orders[0]!.codFen = 6660
  return stops
}

export interface DemoSeed {
  depotId: string
  supervisor: { login: string; password: string }
  couriers: { staffId: string; pin: string; name: string }[]
  device: { deviceId: string; deviceToken: string }
  routeDate: string
  orders: number
  codOrders: number
  /** A fresh single-use code, made at every start, for enrolling the terminal. */
  enrollmentCode: { code: string; expiresAt: string }
}

/**
 * `--seed demo`: a depot in Suzhou Xiangcheng, a supervisor, three couriers with known PINs, an enrolled demo
 * device, and today's route for the first courier. Deterministic, and safe to run at every start: what exists
 * is left alone; a new day gets its route; only the enrollment code is new each time.
 */
export async function seedDemo(db: Kysely<BackendSchema>, nowMs = Date.now()): Promise<DemoSeed> {
  const { depotId } = await createDepot(db, { id: DEMO_DEPOT_ID })
  await createSupervisor(db, { id: 'sup_SZXC0001', depotId, ...DEMO_SUPERVISOR })
  for (const courier of DEMO_COURIERS) await createCourier(db, { depotId, ...courier })
  const device = await createDevice(db, {
    id: DEMO_DEVICE_ID,
    depotId,
    label: 'Demo handheld 1',
    token: DEMO_DEVICE_TOKEN,
  })
  const routeDate = routeDateOf(nowMs, TIME_ZONE)
  const compact = routeDate.replace(/-/g, '')
  const stops = demoStops()
  let n = 0
  for (const stop of stops) {
    for (const order of stop.orders) order.waybill = `JDVA${compact.slice(2)}${String(++n).padStart(5, '0')}`
  }
  const route = await createRoute(db, {
    depotId,
    courierId: DEMO_COURIERS[0].id,
    routeDate,
    stops,
    idSeed: `SZXC${compact}`,
  })
  const enrollmentCode = await createEnrollmentCode(db, {
    depotId,
    createdBy: 'seed',
    ttlMs: 24 * 60 * 60 * 1000,
    nowMs,
  })
  return {
    depotId,
    supervisor: { login: DEMO_SUPERVISOR.login, password: DEMO_SUPERVISOR.password },
    couriers: DEMO_COURIERS.map(({ staffId, pin, name }) => ({ staffId, pin, name })),
    device,
    routeDate,
    orders: route.orders.length,
    codOrders: route.orders.filter((order) => order.codFen > 0).length,
    enrollmentCode,
  }
}
