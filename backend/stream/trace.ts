/**
 * Stage times of a device stream message, for the fleet bench (`TUOTOU_TRACE_STREAM=1`): `committed` when the
 * transaction that appended it committed (the instance that took the change), `heard` when an instance's LISTEN
 * connection got the NOTIFY (or the in-process hub its wake), `written` when that instance wrote the message to the
 * device's socket. One JSON line each on standard output, with the wall clock, so two processes' lines line up.
 * Off (a no-op) otherwise.
 */
export type StreamStage = 'committed' | 'heard' | 'written'

const on = process.env.TUOTOU_TRACE_STREAM === '1'

/** The prefix of a trace line, for whoever reads the process's output. */
export const STREAM_TRACE_PREFIX = 'stream-trace '

export const traceStream: (stage: StreamStage, deviceId: string, seq?: number) => void = on
  ? (stage, deviceId, seq) => {
      process.stdout.write(`${STREAM_TRACE_PREFIX}${JSON.stringify({ stage, deviceId, seq, at: Date.now() })}\n`)
    }
  : () => undefined
