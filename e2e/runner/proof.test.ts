import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatErrors, loadRoundFile, parseRound, type RoundFileError } from './load'
import type { Plan } from './plan'
import { checkProof, type AnnouncedEvidence, type DepotProof, type StoredEvidence } from './proof-checks'
import { proofTotals } from './proof'
import { renderReportHtml } from './report'
import type { RoundResult, StopResult } from './result'

const RULES = `proofRules:
  valueOver: '100.00'
  valueProof: [code, signature]
  unattendedPhoto: true
  familySignature: true
`

function planOf(text: string): Plan {
  const loaded = parseRound(text)
  if (!loaded.ok) throw new Error(formatErrors('round.yaml', loaded.errors))
  return loaded.plan
}

const errorsOf = (text: string): RoundFileError[] => {
  const loaded = parseRound(text)
  if (loaded.ok) throw new Error('expected the round to be refused')
  return loaded.errors
}

describe('proof in a round file', () => {
  it('plans each stop against the policy its depot rules give it, and what the backend must hold', () => {
    const plan = planOf(`round: Proof
seed: 1
${RULES}stops:
  - { cod: '66.60', action: cash }
  - { cod: '128.00', action: cash, proof: { code: wrong-then-right } }
  - { cod: '45.50', action: cash, proof: { handover: door, photo: true } }
  - { cod: '150.00', action: cash, proof: { handover: family, signature: true } }
  - { cod: '210.00', action: cash, proof: { code: locked, override: recipient_no_code } }
  - { cod: '75.00', action: cash, proof: { handover: locker, override: supervisor_approved, note: 张伟 } }
`)
    expect(plan.proofRules).toMatchObject({ valueOverFen: 10_000, unattendedPhoto: true, familySignature: true })
    expect(plan.stops.map((s) => [s.n, s.proof?.required ?? null, s.proof?.expected ?? null])).toEqual([
      [1, null, null],
      [
        2,
        [['code', 'signature']],
        { codeVerified: true, codeTries: 2, evidence: { photo: 0, signature: 0 }, override: null },
      ],
      [3, [['photo']], { codeVerified: false, codeTries: 0, evidence: { photo: 1, signature: 0 }, override: null }],
      [4, [['signature']], { codeVerified: false, codeTries: 0, evidence: { photo: 0, signature: 1 }, override: null }],
      [
        5,
        [['code', 'signature']],
        {
          codeVerified: false,
          codeTries: 5,
          evidence: { photo: 0, signature: 0 },
          override: 'recipient_no_code',
        },
      ],
      [
        6,
        [['photo']],
        { codeVerified: false, codeTries: 0, evidence: { photo: 0, signature: 0 }, override: 'supervisor_approved' },
      ],
    ])
    expect(plan.expect.proof).toEqual({
      value: {
        given: { code: 1, photo: 1, signature: 1 },
        codesVerified: 1,
        codesLocked: 1,
        overrides: 2,
        files: 2,
        uploaded: 2,
        verified: 2,
      },
      source: 'plan',
    })
  })

  it('the shipped offline proof round states what its stops add up to', () => {
    const loaded = loadRoundFile(join(import.meta.dirname, '..', 'rounds', 'proof-offline.yaml'))
    if (!loaded.ok) throw new Error(formatErrors('proof-offline.yaml', loaded.errors))
    const { plan } = loaded
    expect(plan.stops).toHaveLength(20)
    expect(plan.stops.every((stop) => stop.coverage === 'offline')).toBe(true)
    expect(plan.terminal.filter((t) => t.kind === 'restart' && t.signal === 'SIGKILL')).toHaveLength(2)
    const planned = proofTotals(plan.stops.map((stop) => stop.proof))
    const stated = plan.expect.proof!
    expect(stated.source).toBe('file')
    expect(stated.value).toEqual({ ...planned, uploaded: planned.files, verified: planned.files })
    const codes = new Set(plan.stops.map((stop) => stop.proof?.code).filter(Boolean))
    expect(codes).toEqual(new Set(['right', 'wrong-then-right', 'locked']))
    expect(planned.given.photo).toBeGreaterThan(0)
    expect(planned.given.signature).toBeGreaterThan(0)
    expect(planned.overrides).toBeGreaterThan(0)
  })

  it('refuses proof the terminal could not take, or a stop it would block, each at its line', () => {
    const errors = errorsOf(`round: Bad proof
seed: 1
${RULES}stops:
  - { cod: '128.00', action: cash }
  - { cod: '45.50', action: cash, proof: { photo: true } }
  - { cod: '210.00', action: cash, proof: { code: locked } }
  - { cod: '66.60', action: cash, proof: { handover: door, photo: true, override: camera_broken } }
  - { cod: '188.00', action: cash, proof: { code: right, signature: true } }
  - { cod: '0.00', action: prepaid, proof: { handover: door, photo: true } }
  - { cod: '75.00', action: cash, proof: { handover: door, override: other } }
  - { cod: '75.00', action: cash, proof: { handover: roof } }
  - { cod: '75.00', action: cash, proof: { code: maybe } }
`)
    expect(errors.map((e) => `${e.line} ${e.field}: ${e.message}`)).toEqual([
      "9 stops[0].proof: stop 1: the depot's rules ask code or signature for this order (¥128.00): give it a proof",
      "10 stops[1].proof: stop 2: handed over to recipient, the order's policy asks no photo (nothing)",
      '11 stops[2].proof: stop 3: with the code locked the order can only be completed with a signature or an override',
      '12 stops[3].proof: stop 4: an override needs something still asked for; everything here is met',
      '13 stops[4].proof: stop 5: code and signature both meet "code or signature": the terminal takes one of them',
      '14 stops[5].proof: stop 6: proof goes with a delivery the courier collects for, not prepaid',
      '15 stops[6].proof: stop 7: an override for other needs a note',
      '16 stops[7].proof.handover: handover is recipient, family, door, locker or point',
      '17 stops[8].proof.code: code is right, wrong-then-right or locked (wrong until the tries run out)',
    ])
  })
})

describe('proof checked against the backend', () => {
  const plan = planOf(`round: Checked
seed: 1
${RULES}stops:
  - { waybill: JDVA00000000001, cod: '45.50', action: cash, proof: { handover: door, photo: true } }
  - { waybill: JDVA00000000002, cod: '150.00', action: cash, proof: { handover: family, signature: true } }
  - { waybill: JDVA00000000003, cod: '128.00', action: cash, proof: { code: right } }
`)
  const stops = (): StopResult[] => plan.stops.map((stop) => ({ n: stop.n, problems: [] }) as unknown as StopResult)
  const proofs = (): Map<string, DepotProof> =>
    new Map([
      ['JDVA00000000001', { orderId: 'ord_a', handover: 'door', codeVerified: false, codeTries: 0, override: null }],
      ['JDVA00000000002', { orderId: 'ord_b', handover: 'family', codeVerified: false, codeTries: 0, override: null }],
      [
        'JDVA00000000003',
        { orderId: 'ord_c', handover: 'recipient', codeVerified: true, codeTries: 1, override: null },
      ],
    ])
  const file = (id: string, orderId: string, kind: string, sha: string): StoredEvidence => ({
    id,
    orderId,
    kind,
    sha256: sha,
    bytes: 10,
    stored: true,
    file: { sha256: sha, bytes: 10 },
  })
  const announced: AnnouncedEvidence[] = [
    { evidenceId: 'e1', orderId: 'ord_a', kind: 'photo', sha256: 'aa' },
    { evidenceId: 'e2', orderId: 'ord_b', kind: 'signature', sha256: 'bb' },
  ]
  const held = (
    stored: StoredEvidence[],
    overrides: { proofs?: Map<string, DepotProof>; announced?: AnnouncedEvidence[] } = {},
  ) => {
    const results = stops()
    const checked = checkProof(plan, results, {
      proofs: overrides.proofs ?? proofs(),
      stored,
      announced: overrides.announced ?? announced,
    })
    return { ...checked, problems: results.flatMap((s) => s.problems.map((p) => `stop ${s.n}: ${p}`)) }
  }

  it('holds when every file is stored once, on its order, its hash verified', () => {
    const { expectations, summary, problems } = held([
      file('e1', 'ord_a', 'photo', 'aa'),
      file('e2', 'ord_b', 'signature', 'bb'),
    ])
    expect(problems).toEqual([])
    expect(expectations.filter((e) => !e.held)).toEqual([])
    expect(summary).toEqual({
      given: { code: 1, photo: 1, signature: 1 },
      codesVerified: 1,
      codesLocked: 0,
      overrides: 0,
      uploaded: 2,
      verified: 2,
      lost: 0,
      duplicated: 0,
      misfiled: 0,
    })
  })

  it('counts a file lost, one uploaded twice, one on the wrong order and one whose bytes differ', () => {
    const failing = (summary: ReturnType<typeof held>) =>
      summary.expectations.filter((e) => !e.held).map((e) => `${e.name}: ${e.actual}`)
    expect(failing(held([file('e1', 'ord_a', 'photo', 'aa')]))).toEqual([
      'proofs given by kind: code 1, photo 1, signature 0',
      'evidence files uploaded: 1',
      'evidence hashes verified from the store: 1',
      'evidence files lost: 1',
    ])
    expect(
      failing(
        held(
          [
            file('e1', 'ord_a', 'photo', 'aa'),
            file('e2', 'ord_b', 'signature', 'bb'),
            file('e3', 'ord_a', 'photo', 'aa'),
          ],
          { announced: [...announced, { evidenceId: 'e3', orderId: 'ord_a', kind: 'photo', sha256: 'aa' }] },
        ),
      ),
    ).toEqual([
      'proofs given by kind: code 1, photo 2, signature 1',
      'evidence files uploaded: 3',
      'evidence hashes verified from the store: 3',
      'evidence files duplicated: 2',
    ])
    expect(failing(held([file('e1', 'ord_a', 'photo', 'aa'), file('e2', 'ord_a', 'signature', 'bb')]))).toEqual([
      'evidence files lost: 1',
      'evidence files on the wrong order: 1',
    ])
    const tampered = { ...file('e2', 'ord_b', 'signature', 'bb'), file: { sha256: 'cc', bytes: 10 } }
    expect(failing(held([file('e1', 'ord_a', 'photo', 'aa'), tampered]))).toEqual([
      'evidence hashes verified from the store: 1',
    ])
  })

  it("puts what the depot's proof view shows differently on the stop", () => {
    const seen = proofs()
    seen.set('JDVA00000000003', {
      orderId: 'ord_c',
      handover: 'door',
      codeVerified: false,
      codeTries: 5,
      override: null,
    })
    const { problems } = held([file('e1', 'ord_a', 'photo', 'aa'), file('e2', 'ord_b', 'signature', 'bb')], {
      proofs: seen,
    })
    expect(problems).toEqual([
      "stop 3: the depot's proof view shows the handover as door, the round planned recipient",
      "stop 3: the depot's proof view shows the code verified: false, the round planned true",
      "stop 3: the depot's proof view shows code tries: 5, the round planned 1",
    ])
  })

  it('shows the proof figures in the report', () => {
    const { summary } = held([file('e1', 'ord_a', 'photo', 'aa'), file('e2', 'ord_b', 'signature', 'bb')])
    const html = renderReportHtml(
      {
        round: 'Checked',
        file: 'round.yaml',
        seed: '1',
        startedAt: new Date().toISOString(),
        wallMs: 1000,
        speed: 2,
        host: 'chromium',
        hostNote: 'test',
        stops: [],
        figures: { scanToCard: {}, tapToQr: {}, confirmToPaid: {} },
        actionsPerDelivery: { digital: {}, all: {} },
        syncLags: [],
        restarts: [],
        terminalEvents: [],
        acquirer: { delayMs: 0, duplicates: 0, outOfOrder: false, notifications: 0, deliveries: 0 },
        terminalTotals: null,
        backendTotals: null,
        dashboardTotals: null,
        moneyTotals: null,
        expectations: [],
        errors: [],
        shiftScreenshot: null,
        flagsOnTerminal: [],
        flagsPoppedUp: [],
        proof: summary,
        passed: true,
        summary: '',
      } as unknown as RoundResult,
      () => null,
    )
    expect(html).toContain('<h2>Proof of delivery</h2>')
    expect(html).toMatch(/codes 1 · photos 1 · signatures 1/)
    expect(html).toMatch(/2\/2<\/p><p>hashes verified/)
  })
})
