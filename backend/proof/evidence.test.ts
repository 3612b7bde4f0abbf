import { createHash, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EvidenceUploadStatus, type EvidenceKind, type EvidenceMime } from '../../shared/api/evidence'
import { AttentionQueueResponse } from '../../shared/api/attention'
import { EXAMPLE_PROOF_RULES, ProofsResponse } from '../../shared/api/proof'
import { errorOf } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { databasesUnderTest } from '../testing/databases'
import { snapshotTables } from '../testing/snapshot'

const DAY = '2026-03-02'
const NOON = Date.parse(`${DAY}T12:00:00+08:00`)
const DAY_MS = 24 * 60 * 60 * 1000

/** A small JPEG-looking file: the SOI marker, then bytes of its own; `size` long. */
function jpeg(size: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 17) & 0xff
  bytes.set([0xff, 0xd8, 0xff, 0xe0])
  return bytes
}
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`evidence uploads at the backend on ${kind}`, () => {
    let server: TestBackend
    let clock = NOON
    let courier: LoggedInCourier
    let other: LoggedInCourier
    let supervisor: SupervisorSessionFixture
    let rival: SupervisorSessionFixture

    const path = (who: LoggedInCourier, evidenceId: string, offset?: number): string =>
      `/api/v1/devices/${who.device.deviceId}/evidence/${evidenceId}${offset === undefined ? '' : `?offset=${offset}`}`
    const put = (who: LoggedInCourier, evidenceId: string, offset: number, bytes: Buffer, token?: string) =>
      fetch(`${server.url}${path(who, evidenceId, offset)}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${token ?? who.device.deviceToken}`,
          'content-type': 'application/octet-stream',
        },
        body: bytes,
      }).then(async (res) => ({ status: res.status, json: await res.json() }))

    /** Pushes the evidence event binding `bytes` to the courier's first order, and answers its ID. */
    async function announce(
      who: LoggedInCourier,
      bytes: Buffer,
      options: { kind?: EvidenceKind; mime?: EvidenceMime; attempt?: number; evidenceId?: string; order?: number } = {},
    ): Promise<{ evidenceId: string; status: string; reason: string | null }> {
      const evidenceKind = options.kind ?? 'photo'
      const evidenceId = options.evidenceId ?? randomUUID()
      const capturedAt = new Date(clock - 60_000).toISOString()
      const answer = await server.api.push(who.device.deviceToken, who.device.deviceId, [
        who.events.next(
          {
            type: 'proof.evidence_captured',
            payload: {
              orderId: who.order(options.order ?? 0).orderId,
              attempt: options.attempt ?? 1,
              kind: evidenceKind,
              evidenceId,
              sha256: sha(bytes),
              bytes: bytes.length,
              mime: options.mime ?? (evidenceKind === 'photo' ? 'image/jpeg' : 'image/png'),
              capturedAt,
              ...(evidenceKind === 'signature' ? { strokes: [[[1, 2, 0]]] as [number, number, number][][] } : {}),
            },
          },
          capturedAt,
        ),
      ])
      const result = answer.results[0]!
      return { evidenceId, status: result.status, reason: result.reason }
    }

    beforeAll(async () => {
      server = await startTestBackend({ database: kind, now: () => clock })
      courier = await loggedInCourier(server, { routeDate: DAY, orders: [{ codFen: 6660 }] })
      other = await loggedInCourier(server, { routeDate: DAY, orders: [{ codFen: 3580 }] })
      supervisor = await supervisorSession(server, courier.fixture.depotId)
      rival = await supervisorSession(server, other.fixture.depotId)
    })
    afterAll(async () => server?.stop())

    it('takes an upload in pieces after its event, resumes where it stopped, verifies it and shows it to the depot', async () => {
      const photo = jpeg(150_000)
      const { evidenceId, status } = await announce(courier, photo)
      expect(status).toBe('applied')
      const start = await server.api.raw('GET', path(courier, evidenceId), { token: courier.device.deviceToken })
      expect(EvidenceUploadStatus.parse(start.json)).toEqual({
        evidenceId,
        received: 0,
        bytes: 150_000,
        complete: false,
      })

      // A first try that got 60,000 bytes through, then a retry that asks where it stands and continues.
      const first = await put(courier, evidenceId, 0, photo.subarray(0, 60_000))
      expect(first).toMatchObject({ status: 200, json: { received: 60_000, complete: false } })
      const wrongPlace = await put(courier, evidenceId, 0, photo.subarray(0, 60_000))
      expect([wrongPlace.status, errorOf(wrongPlace.json).code, errorOf(wrongPlace.json).details]).toEqual([
        409,
        'evidence.offset_mismatch',
        { received: 60_000 },
      ])
      const held = await server.api.raw('GET', path(courier, evidenceId), { token: courier.device.deviceToken })
      expect(EvidenceUploadStatus.parse(held.json).received).toBe(60_000)
      const rest = await put(courier, evidenceId, 60_000, photo.subarray(60_000))
      expect(rest).toMatchObject({ status: 200, json: { received: 150_000, complete: true } })
      const row = await server.db
        .selectFrom('evidence')
        .selectAll()
        .where('id', '=', evidenceId)
        .executeTakeFirstOrThrow()
      expect(row).toMatchObject({ sha256: sha(photo), kind: 'photo', order_id: courier.order(0).orderId })
      expect(row.stored_ms).not.toBeNull()

      // The depot's supervisor sees the very bytes; the proof tab lists it.
      const image = await fetch(`${server.url}/api/v1/depot/evidence/${evidenceId}`, {
        headers: { authorization: `Bearer ${supervisor.token}` },
      })
      expect(image.status).toBe(200)
      expect(image.headers.get('content-type')).toBe('image/jpeg')
      expect(sha(Buffer.from(await image.arrayBuffer()))).toBe(sha(photo))
      const proofs = ProofsResponse.parse(
        (await server.api.raw('GET', `/api/v1/depot/dashboard/proofs?date=${DAY}`, { token: supervisor.token })).json,
      )
      const mine = proofs.proofs.find((p) => p.orderId === courier.order(0).orderId)
      expect(mine?.evidence).toEqual([
        expect.objectContaining({ evidenceId, kind: 'photo', mime: 'image/jpeg', status: 'stored', bytes: 150_000 }),
      ])
    })

    it('refuses bad uploads with a clear error, changing nothing', async () => {
      const notImage = Buffer.from('this is not an image, just text pretending'.repeat(20))
      const fake = await announce(courier, notImage)
      const photo = jpeg(20_000, 2)
      const good = await announce(courier, photo)
      const stored = await announce(courier, jpeg(3_000, 3))
      expect((await put(courier, stored.evidenceId, 0, jpeg(3_000, 3))).status).toBe(200)
      const theirs = await announce(other, jpeg(5_000, 4))
      await server.settled()
      const before = await snapshotTables(server.db)

      const cases: [string, () => ReturnType<typeof put>, number, string][] = [
        ['not an image', () => put(courier, fake.evidenceId, 0, notImage), 422, 'evidence.not_image'],
        ['over the size', () => put(courier, good.evidenceId, 0, jpeg(20_001, 2)), 413, 'evidence.too_large'],
        ['hash mismatch', () => put(courier, good.evidenceId, 0, jpeg(20_000, 9)), 422, 'evidence.hash_mismatch'],
        ["another device's", () => put(courier, theirs.evidenceId, 0, jpeg(5_000, 4)), 404, 'evidence.unknown'],
        [
          "another device's, under its path",
          () => put(other, theirs.evidenceId, 0, jpeg(5_000, 4), courier.device.deviceToken),
          403,
          'auth.forbidden',
        ],
        ['replayed', () => put(courier, stored.evidenceId, 0, jpeg(3_000, 3)), 409, 'evidence.already_complete'],
        ['never announced', () => put(courier, randomUUID(), 0, photo), 404, 'evidence.unknown'],
        ['not where it stands', () => put(courier, good.evidenceId, 30_000, photo), 409, 'evidence.offset_mismatch'],
        ['past any size', () => put(courier, good.evidenceId, 9_999_999, photo), 400, 'request.invalid'],
      ]
      for (const [what, send, status, code] of cases) {
        const answer = await send()
        expect([what, answer.status, errorOf(answer.json).code]).toEqual([what, status, code])
        expect(errorOf(answer.json).message.length).toBeGreaterThan(0)
      }
      // A JSON body or none is refused before anything is written.
      const json = await server.api.raw('PUT', path(courier, good.evidenceId, 0), {
        token: courier.device.deviceToken,
        json: { bytes: 'AAAA' },
      })
      expect([json.status, errorOf(json.json).code]).toEqual([400, 'request.invalid'])
      expect(await snapshotTables(server.db)).toEqual(before)
      // Nothing half-kept: after each refusal the device starts again from 0, and the right bytes then go in.
      const status = await server.api.raw('GET', path(courier, good.evidenceId), { token: courier.device.deviceToken })
      expect(EvidenceUploadStatus.parse(status.json).received).toBe(0)
      expect(await put(courier, good.evidenceId, 0, photo)).toMatchObject({ status: 200, json: { complete: true } })
    })

    it('refuses an evidence event for another attempt, or one reusing an evidence ID', async () => {
      const png = Buffer.from([...PNG_SIGNATURE, 1, 2, 3, 4])
      expect(await announce(courier, png, { kind: 'signature', attempt: 2 })).toMatchObject({
        status: 'rejected',
        reason: 'delivery.attempt_mismatch',
      })
      const once = await announce(courier, png, { kind: 'signature' })
      expect(once.status).toBe('applied')
      expect(await announce(courier, png, { kind: 'signature', evidenceId: once.evidenceId })).toMatchObject({
        status: 'rejected',
        reason: 'evidence.id_reused',
      })
    })

    it('serves the images to the depot only: other depots, couriers and devices are refused', async () => {
      const photo = jpeg(4_000, 5)
      const { evidenceId } = await announce(courier, photo)
      expect((await put(courier, evidenceId, 0, photo)).status).toBe(200)
      const url = `/api/v1/depot/evidence/${evidenceId}`
      for (const [token, status, code] of [
        [rival.token, 404, 'evidence.unknown'],
        [courier.shift.shiftToken, 403, 'auth.supervisors_only'],
        [courier.device.deviceToken, 403, 'auth.supervisors_only'],
        [undefined, 401, 'auth.missing'],
      ] as const) {
        const answer = await server.api.raw('GET', url, { token })
        expect([token === undefined ? 'none' : token.slice(0, 4), answer.status, errorOf(answer.json).code]).toEqual([
          token === undefined ? 'none' : token.slice(0, 4),
          status,
          code,
        ])
      }
      const theirs = ProofsResponse.parse(
        (await server.api.raw('GET', `/api/v1/depot/dashboard/proofs?date=${DAY}`, { token: rival.token })).json,
      )
      expect(JSON.stringify(theirs)).not.toContain(evidenceId)
    })

    it('deletes the files after the retention period (90 days by default) and keeps the record of it', async () => {
      const photo = jpeg(2_000, 6)
      const { evidenceId } = await announce(courier, photo)
      expect((await put(courier, evidenceId, 0, photo)).status).toBe(200)
      expect(server.backend.context.config.evidenceRetention.keepMs).toBe(90 * DAY_MS)
      clock = NOON + 89 * DAY_MS
      await server.backend.workers.evidenceRetention.drain()
      const url = `/api/v1/depot/evidence/${evidenceId}`
      expect(await server.backend.context.evidence.read(evidenceId)).not.toBeNull()
      clock = NOON + 91 * DAY_MS
      expect(await server.backend.workers.evidenceRetention.drain()).toBeGreaterThanOrEqual(1)
      const later = await supervisorSession(server, courier.fixture.depotId)
      const gone = await server.api.raw('GET', url, { token: later.token })
      expect([gone.status, errorOf(gone.json).code]).toEqual([410, 'evidence.deleted'])
      const row = await server.db
        .selectFrom('evidence')
        .selectAll()
        .where('id', '=', evidenceId)
        .executeTakeFirstOrThrow()
      expect(Number(row.deleted_ms)).toBe(NOON + 91 * DAY_MS)
      expect(await server.backend.context.evidence.read(evidenceId)).toBeNull()
      clock = NOON
    })

    it('flags for the depot a completion its policy wanted proof for and got none; a photo or an override meets it', async () => {
      const door = await loggedInCourier(server, {
        routeDate: DAY,
        orders: [{ codFen: 6660 }, { codFen: 6660 }, { codFen: 6660 }],
      })
      const boss = await supervisorSession(server, door.fixture.depotId)
      const rules = await server.api.raw('PUT', '/api/v1/depot/proof/rules', {
        token: boss.token,
        json: EXAMPLE_PROOF_RULES,
      })
      expect(rules.status).toBe(200)
      const at = new Date(clock - 30_000).toISOString()
      const completed = (order: number) =>
        door.events.next(
          {
            type: 'delivery.completed',
            payload: {
              orderId: door.order(order).orderId,
              attempt: 1,
              method: 'cash',
              dueFen: 6660,
              collectedFen: 6660,
              intentId: null,
              handover: 'door',
            },
          },
          at,
        )
      // Order 0: left at the door with no photo. Order 1: with a photo. Order 2: with an override.
      const photo = jpeg(1_000, 7)
      await announce(door, photo, { order: 1 })
      const answer = await server.api.push(door.device.deviceToken, door.device.deviceId, [
        completed(0),
        completed(1),
        door.events.next(
          {
            type: 'proof.overridden',
            payload: {
              orderId: door.order(2).orderId,
              attempt: 1,
              reason: 'camera_broken',
              note: null,
              waived: ['photo'],
            },
          },
          at,
        ),
        completed(2),
      ])
      // The completion is a fact: applied, never refused for the missing proof.
      expect(answer.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'applied'])
      const queue = AttentionQueueResponse.parse(
        (await server.api.raw('GET', `/api/v1/depot/dashboard/attention?date=${DAY}`, { token: boss.token })).json,
      )
      const missing = queue.items.filter((item) => item.kind === 'proof_missing')
      expect(missing.map((item) => [item.orderId, item.detail, item.actions])).toEqual([
        [door.order(0).orderId, 'photo', ['resolve']],
      ])
      const proofs = ProofsResponse.parse(
        (await server.api.raw('GET', `/api/v1/depot/dashboard/proofs?date=${DAY}`, { token: boss.token })).json,
      )
      expect(new Map(proofs.proofs.map((p) => [p.orderId, p.unmet]))).toEqual(
        new Map([
          [door.order(0).orderId, [['photo']]],
          [door.order(1).orderId, []],
          [door.order(2).orderId, []],
        ]),
      )
      expect(proofs.totals).toMatchObject({ withProof: 1, overrides: 1 })
      // The supervisor resolves it with a note; it stays as the audit.
      const resolved = await server.api.raw('POST', `/api/v1/depot/attention/${missing[0]!.itemId}/resolve`, {
        token: boss.token,
        json: { action: 'resolve', note: '顾客电话确认已收到' },
      })
      expect(resolved.status).toBe(200)
      const after = AttentionQueueResponse.parse(
        (await server.api.raw('GET', `/api/v1/depot/dashboard/attention?date=${DAY}`, { token: boss.token })).json,
      )
      expect(after.items.find((item) => item.itemId === missing[0]!.itemId)).toMatchObject({
        actions: [],
        resolution: { note: '顾客电话确认已收到' },
      })
      // Another depot's supervisor cannot see or close it.
      const foreign = await server.api.raw('POST', `/api/v1/depot/attention/${missing[0]!.itemId}/resolve`, {
        token: rival.token,
        json: { action: 'resolve', note: 'not mine' },
      })
      expect([foreign.status, errorOf(foreign.json).code]).toEqual([404, 'attention.not_found'])
    })

    it('lists an evidence event whose file never came as an orphan after 30 minutes; the file arriving closes it', async () => {
      const late = await loggedInCourier(server, { routeDate: DAY, orders: [{ codFen: 6660 }] })
      const boss = await supervisorSession(server, late.fixture.depotId)
      const photo = jpeg(1_500, 8)
      const { evidenceId } = await announce(late, photo)
      const queue = async () =>
        AttentionQueueResponse.parse(
          (await server.api.raw('GET', `/api/v1/depot/dashboard/attention?date=${DAY}`, { token: boss.token })).json,
        ).items.filter((item) => item.kind === 'evidence_missing')
      expect(await queue()).toEqual([])
      clock = NOON + 31 * 60_000
      const [orphan] = await queue()
      expect(orphan).toMatchObject({
        itemId: `evidence:${evidenceId}`,
        orderId: late.order(0).orderId,
        deviceId: late.device.deviceId,
        detail: 'photo',
        actions: ['resolve'],
      })
      expect((await put(late, evidenceId, 0, photo)).status).toBe(200)
      expect(await queue()).toMatchObject([{ itemId: `evidence:${evidenceId}`, actions: [], resolution: null }])
      clock = NOON
    })
  })
}
