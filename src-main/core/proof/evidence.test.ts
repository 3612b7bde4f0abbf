import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { EXAMPLE_PROOF_RULES, policyFor } from '../../../shared/api/proof'
import { MAX_EVIDENCE_BYTES } from '../../../shared/api/evidence'
import { createDeviceCore } from '../index'
import { createIpcDispatcher } from '../ipc'
import { FAST_SYNC, outboxOf, queryDevice, startTestDevice, type TestDevice } from '../testing/device'
import { evidenceDir } from './evidence'

const devices: TestDevice[] = []
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

/** ord_test0001 (¥66.60) under the example rules with every value rule on: door needs a photo, recipient a code or a signature. */
async function evidenceDevice(): Promise<TestDevice> {
  const rules = { ...EXAMPLE_PROOF_RULES, valueOverFen: 0, valueProof: ['signature' as const] }
  const d = await startTestDevice({
    arrange: (backend) => {
      const [first] = backend.manifest.stops[0]!.orders
      first!.proof = { policy: policyFor(rules, 6660), code: null }
    },
  })
  devices.push(d)
  await d.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
  return d
}

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(4000, 7), Buffer.from([0xff, 0xd9])])
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(900, 3)])
const STROKES: [number, number, number][][] = [
  [
    [10, 10, 0],
    [40, 30, 16],
    [80, 35, 33],
  ],
]
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')
const files = (d: TestDevice): string[] => {
  try {
    return readdirSync(evidenceDir(d.dataDir)).sort()
  } catch {
    return []
  }
}

describe('photo and signature evidence on the device', () => {
  it('stores a photo as a file bound by SHA-256 in its event, and that meets the door handover', async () => {
    const d = await evidenceDevice()
    const door = await d.core.handlers.chooseHandover({ orderId: 'ord_test0001', handover: 'door' })
    expect(door.proof).toMatchObject({ required: [{ anyOf: ['photo'], met: false }], met: false })
    const after = await d.core.handlers.captureEvidence({
      orderId: 'ord_test0001',
      kind: 'photo',
      mime: 'image/jpeg',
      data: JPEG.toString('base64'),
    })
    expect(after.proof).toMatchObject({ required: [{ anyOf: ['photo'], met: true }], met: true })
    expect(after.proof?.evidence).toEqual([{ kind: 'photo', capturedAt: expect.any(String) as string }])
    const event = outboxOf(d).at(-1)!
    expect(event).toMatchObject({
      type: 'proof.evidence_captured',
      payload: { orderId: 'ord_test0001', attempt: 1, kind: 'photo', sha256: sha(JPEG), bytes: JPEG.length },
    })
    const payload = event.payload as { evidenceId: string; capturedAt: string }
    expect(payload.capturedAt).toBe(event.occurredAt)
    const [file] = files(d)
    expect(file).toBe(`${payload.evidenceId}.jpg`)
    expect(sha(readFileSync(join(evidenceDir(d.dataDir), file!)))).toBe(sha(JPEG))
    await d.core.handlers.startCash({ orderId: 'ord_test0001' })
    const done = await d.core.handlers.recordCash({ orderId: 'ord_test0001', takenFen: 6660 })
    expect(done.status).toBe('delivered')
  })

  it('stores a signature as strokes in its event plus a PNG file, meeting a signature requirement', async () => {
    const d = await evidenceDevice()
    const before = await d.core.handlers.getOrder({ orderId: 'ord_test0001' })
    expect(before.proof).toMatchObject({ required: [{ anyOf: ['signature'], met: false }] })
    const signed = await d.core.handlers.captureEvidence({
      orderId: 'ord_test0001',
      kind: 'signature',
      mime: 'image/png',
      data: PNG.toString('base64'),
      strokes: STROKES,
    })
    expect(signed.proof?.met).toBe(true)
    expect(outboxOf(d).at(-1)).toMatchObject({
      type: 'proof.evidence_captured',
      payload: { kind: 'signature', mime: 'image/png', strokes: STROKES, sha256: sha(PNG) },
    })
    expect(files(d)).toEqual([expect.stringMatching(/\.png$/) as string])
  })

  it('refuses a bad photo or signature over IPC with a clear error, writing nothing', async () => {
    const d = await evidenceDevice()
    const dispatch = createIpcDispatcher(d.core.handlers)
    const count = outboxOf(d).length
    const good = { orderId: 'ord_test0001', kind: 'photo', mime: 'image/jpeg', data: JPEG.toString('base64') }
    const bad: [string, unknown, string][] = [
      [
        'not an image',
        { ...good, data: Buffer.from('GIF89a not a jpeg at all').toString('base64') },
        'evidence.not_image',
      ],
      ['a PNG called a JPEG', { ...good, data: PNG.toString('base64') }, 'evidence.not_image'],
      [
        'over the size',
        { ...good, data: Buffer.alloc(MAX_EVIDENCE_BYTES + 3, 0xff).toString('base64') },
        'ipc.bad_request',
      ],
      ['not base64', { ...good, data: 'ÿØÿ not base64 ###' }, 'ipc.bad_request'],
      ['photo as PNG', { ...good, mime: 'image/png' }, 'ipc.bad_request'],
      [
        'signature without strokes',
        { ...good, kind: 'signature', mime: 'image/png', data: PNG.toString('base64') },
        'ipc.bad_request',
      ],
      ['photo with strokes', { ...good, strokes: STROKES }, 'ipc.bad_request'],
      [
        'bad strokes',
        { ...good, kind: 'signature', mime: 'image/png', data: PNG.toString('base64'), strokes: [[[1, -2, 0]]] },
        'ipc.bad_request',
      ],
      ['unknown kind', { ...good, kind: 'video' }, 'ipc.bad_request'],
      ['extra field', { ...good, path: '/etc/passwd' }, 'ipc.bad_request'],
      ['another order', { ...good, orderId: 'ord_test0002' }, 'doorstep.not_in_hand'],
    ]
    for (const [what, request, code] of bad) {
      const answer = await dispatch('captureEvidence', request)
      expect([what, answer]).toMatchObject([what, { ok: false, error: { code } }])
    }
    expect(outboxOf(d)).toHaveLength(count)
    expect(files(d)).toEqual([])
    expect(queryDevice(d, 'SELECT COUNT(*) AS n FROM evidence')).toEqual([{ n: 0 }])
  })

  it('finds at start what a kill -9 left: a temporary file is removed, a file without its event is recorded and removed', async () => {
    const d = await evidenceDevice()
    await d.core.handlers.captureEvidence({
      orderId: 'ord_test0001',
      kind: 'photo',
      mime: 'image/jpeg',
      data: JPEG.toString('base64'),
    })
    const kept = files(d)
    d.core.close()
    // As a kill -9 leaves them: mid-write (temporary name), and renamed but the transaction never committed.
    const dir = evidenceDir(d.dataDir)
    writeFileSync(join(dir, '.tmp-0b7c1f2e-1111-4222-8333-444455556666.jpg'), JPEG.subarray(0, 100))
    const orphan = '0b7c1f2e-aaaa-4bbb-8ccc-ddddeeeeffff.jpg'
    writeFileSync(join(dir, orphan), JPEG)
    d.core = createDeviceCore({
      dataDir: d.dataDir,
      host: 'browser',
      version: '0.0.0-test',
      backendUrl: d.backend.url,
      sync: FAST_SYNC,
    })
    expect(files(d)).toEqual(kept)
    expect(queryDevice(d, 'SELECT name, problem, bytes FROM evidence_orphans')).toEqual([
      { name: orphan, problem: 'file_without_event', bytes: JPEG.length },
    ])
    // The evidence that has its event is still there and still meets the proof.
    expect(existsSync(join(dir, kept[0]!))).toBe(true)
  })
  it('reports both kinds of orphan to the backend on its heartbeat until one carrying them is answered', async () => {
    const d = await evidenceDevice()
    await d.core.handlers.captureEvidence({
      orderId: 'ord_test0001',
      kind: 'photo',
      mime: 'image/jpeg',
      data: JPEG.toString('base64'),
    })
    const [lost] = files(d)
    d.core.close()
    // The disk lost a file whose event is written; a kill -9 left a signature file no event names.
    const dir = evidenceDir(d.dataDir)
    rmSync(join(dir, lost!))
    const unnamed = '0b7c1f2e-aaaa-4bbb-8ccc-ddddeeeeffff.png'
    writeFileSync(join(dir, unnamed), PNG)
    d.core = createDeviceCore({
      dataDir: d.dataDir,
      host: 'browser',
      version: '0.0.0-test',
      backendUrl: d.backend.url,
      sync: FAST_SYNC,
    })
    const carried = (): { name: string; problem: string; bytes: number }[][] =>
      d.backend.heartbeats.map(
        (beat) =>
          (beat as { evidenceOrphans?: { name: string; problem: string; bytes: number }[] }).evidenceOrphans ?? [],
      )
    await d.core.handlers.syncNow({})
    await expect.poll(() => carried().some((orphans) => orphans.length > 0)).toBe(true)
    expect(
      carried()
        .find((orphans) => orphans.length > 0)!
        .map(({ name, problem, bytes }) => ({ name, problem, bytes })),
    ).toEqual(
      [
        { name: lost!, problem: 'event_without_file', bytes: 0 },
        { name: unnamed, problem: 'file_without_event', bytes: PNG.length },
      ].sort((a, b) => a.name.localeCompare(b.name)),
    )
    // Answered: marked taken, and the next heartbeat carries none.
    await expect
      .poll(() => queryDevice(d, 'SELECT COUNT(*) AS n FROM evidence_orphans WHERE reported_at IS NULL'))
      .toEqual([{ n: 0 }])
    const beats = d.backend.heartbeats.length
    await d.core.handlers.syncNow({})
    await expect.poll(() => d.backend.heartbeats.length).toBeGreaterThan(beats)
    expect(
      carried()
        .slice(beats)
        .every((orphans) => orphans.length === 0),
    ).toBe(true)
  })
})
