/**
 * Where a payment's stream message spent its time, from the backends' `TUOTOU_TRACE_STREAM=1` lines
 * (`backend/stream/trace.ts`): webhook to commit at the instance that took it, commit to the instance holding the
 * stream hearing of it (LISTEN/NOTIFY across instances, the hub's wake within one), to the message written to the
 * socket, and on to the light client. One instance passes its output twice.
 */
import { STREAM_TRACE_PREFIX } from '../../backend/stream/trace'
import { percentile, type BenchContext } from '../figures'

/** A payment the bench sent: wall-clock times, so two processes' trace lines line up with it. */
export interface TracedPayment {
  deviceId: string
  sentAt: number
  receivedAt: number
}

interface TraceLine {
  stage: 'committed' | 'heard' | 'written'
  deviceId: string
  seq?: number
  at: number
}

const traceLines = (output: readonly string[]): TraceLine[] =>
  output.flatMap((line) =>
    line.startsWith(STREAM_TRACE_PREFIX) ? [JSON.parse(line.slice(STREAM_TRACE_PREFIX.length)) as TraceLine] : [],
  )

/**
 * Where a payment's time went between the webhook posted at A and the message at the device on B: A's webhook to
 * its commit, the commit to B's LISTEN connection hearing the NOTIFY, B's read and write of the message, and the
 * socket to the light client. Each payment's stages are the first of each kind for its device after the one before.
 */
export function reportStages(
  context: BenchContext,
  payments: readonly TracedPayment[],
  outputA: readonly string[],
  outputB: readonly string[],
  title: string,
): void {
  const byDevice = (lines: TraceLine[], stage: TraceLine['stage']): Map<string, number[]> => {
    const map = new Map<string, number[]>()
    for (const line of lines) {
      if (line.stage !== stage) continue
      map.set(line.deviceId, [...(map.get(line.deviceId) ?? []), line.at])
    }
    return map
  }
  const a = traceLines(outputA)
  const b = traceLines(outputB)
  const committed = byDevice(a, 'committed')
  const heard = byDevice(b, 'heard')
  const written = byDevice(b, 'written')
  const firstAfter = (times: number[] | undefined, after: number): number | null =>
    times?.find((t) => t >= after) ?? null
  const stages = { webhook: [] as number[], notify: [] as number[], read: [] as number[], socket: [] as number[] }
  for (const payment of payments) {
    const c = firstAfter(committed.get(payment.deviceId), payment.sentAt)
    // B may hear the NOTIFY before A's process, back from its commit, writes its line: heard after the webhook.
    const h = c === null ? null : firstAfter(heard.get(payment.deviceId), payment.sentAt)
    const w = h === null ? null : firstAfter(written.get(payment.deviceId), h)
    if (c === null || h === null || w === null) continue
    stages.webhook.push(c - payment.sentAt)
    stages.notify.push(Math.max(0, h - c))
    stages.read.push(w - h)
    stages.socket.push(Math.max(0, payment.receivedAt - w))
  }
  const show = (values: number[]): string =>
    `p50 ${Math.round(percentile(values, 50))} / p95 ${Math.round(percentile(values, 95))} ms`
  context.log(
    `${title}, by stage (${stages.webhook.length} of ${payments.length} traced): ` +
      `webhook posted → committed ${show(stages.webhook)}; committed → heard (NOTIFY, or the hub in process) ${show(stages.notify)}; ` +
      `heard → written to the socket ${show(stages.read)}; written → at the device ${show(stages.socket)}`,
  )
}
