import { HEARTBEAT_INTERVAL_MS, HeartbeatResponse } from '../../../shared/api/device'
import { PushEventsResponse, SEQUENCE_GAP } from '../../../shared/api/events'
import { HealthResponse } from '../../../shared/api/health'
import { openAttention, type SyncStatus } from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import { createSseParser } from '../../../shared/sse'
import type { BackendOutcome } from '../backend/client'
import type { CoreContext } from '../context'
import { emitDeviceStatus } from '../device/status'
import { DEVICE_TOKEN, readDevice, retirement } from '../device/store'
import { orphansReported, orphansToReport } from '../proof/evidence'
import { eventsFrom, oldestRetainedSeq, outboxStats, pendingEvents, pruneAcked, settleEvents } from '../outbox/store'
import { fullJitterDelay } from './backoff'
import { attentionList } from './attention'
import { applyStreamMessage } from './pull'
import { readSyncState, writeSyncState } from './state'

/** Every interval the engine keeps; tests shorten them. */
export interface SyncTimings {
  /** Events per push (issue 5: up to 200). */
  batchSize: number
  /** Push retries: full jitter from 2 s, capped at 5 min, no limit on attempts. */
  backoffBaseMs: number
  backoffCapMs: number
  /** A local write pushes after this quiet time, so a burst of scans goes as one batch. */
  debounceMs: number
  /** The timer trigger: push whatever is pending this often. */
  periodicMs: number
  /** Heartbeat while online (plus one after every sync): `HEARTBEAT_INTERVAL_MS`, which the depot judges by. */
  heartbeatMs: number
  /** Coverage probes while offline: full jitter from this base up to the cap. */
  probeBaseMs: number
  probeCapMs: number
  /** Stream reconnects: full jitter from this base up to the cap. */
  streamRetryBaseMs: number
  streamRetryCapMs: number
  /** The poll fallback while a QR is shown: every 3–5 s (this to 5/3 of it) once the first seconds are past. */
  paymentPollMs: number
  /** About every second for the first seconds after the QR went up, when the customer is most likely paying. */
  paymentPollFastMs: number
  paymentPollFastForMs: number
  /** Acked events are kept this long (for a rewind) before they are pruned. */
  keepAckedMs: number
  /**
   * And the newest this many acked events are kept whatever their age, so a clock that jumps forward cannot empty
   * the rewind buffer in one prune.
   */
  keepAckedCount: number
}

export const DEFAULT_SYNC_TIMINGS: SyncTimings = {
  batchSize: 200,
  backoffBaseMs: 2000,
  backoffCapMs: 300_000,
  debounceMs: 250,
  periodicMs: 30_000,
  heartbeatMs: HEARTBEAT_INTERVAL_MS,
  probeBaseMs: 2000,
  probeCapMs: 30_000,
  streamRetryBaseMs: 1000,
  streamRetryCapMs: 30_000,
  paymentPollMs: 3000,
  paymentPollFastMs: 1000,
  paymentPollFastForMs: 15_000,
  keepAckedMs: 7 * 24 * 3600_000,
  keepAckedCount: 20_000,
}

export type PushTrigger = 'start' | 'write' | 'coverage' | 'timer' | 'manual' | 'retry' | 'login'

export interface SyncEngine {
  /** Starts pushing, pulling and heartbeats if the device is enrolled; safe to call again (after login). */
  start(trigger: 'start' | 'login'): void
  /** A local write committed: push soon (debounced). */
  notifyWrite(): void
  /** Every backend exchange reports here: coverage is whether the backend actually answers. */
  observe(outcome: BackendOutcome): void
  /** Pushes now and resolves when this round is done. */
  syncNow(): Promise<SyncStatus>
  status(): SyncStatus
  /** Something the status shows changed outside the engine (the "needs attention" list): push it out. */
  refreshStatus(): void
  stop(): void
}

export interface SyncEngineOptions {
  timings: SyncTimings
  random?: () => number
  /** Fetch the whole manifest again (the stream said the route changed). */
  refetchManifest(): Promise<unknown>
  /** After each drain that reached the backend: send what follows the events (evidence files). */
  afterDrain?(who: { deviceId: string; token: string }): Promise<void>
}

/**
 * The device's sync engine: one uploader that drains the outbox in sequence order, a coverage judgement made from
 * real exchanges with the backend, heartbeats, and the device stream that pulls payment and route changes.
 */
export function createSyncEngine(ctx: CoreContext, options: SyncEngineOptions): SyncEngine {
  const t = options.timings
  const random = options.random ?? Math.random
  let running = false
  let online = false
  let streaming = false
  let lastError: string | null = null
  let failures = 0
  let nextRetryAt: number | null = null
  let retryTimer: NodeJS.Timeout | null = null
  let debounceTimer: NodeJS.Timeout | null = null
  let periodicTimer: NodeJS.Timeout | null = null
  let heartbeatTimer: NodeJS.Timeout | null = null
  let probeTimer: NodeJS.Timeout | null = null
  let probeFailures = 0
  let pushing: Promise<void> | null = null
  let pushAgain = false
  let rewindFrom: number | null = null
  /** The sequence the backend asked for that the device no longer holds: the next batch goes past the gap. */
  let gapFrom: number | null = null
  let stream: AbortController | null = null
  let streamTimer: NodeJS.Timeout | null = null
  let streamFailures = 0
  let lastEmitted = ''

  const credentials = (): { deviceId: string; token: string } | null => {
    const device = readDevice(ctx.db)
    const token = ctx.credentials.read(DEVICE_TOKEN)
    // A retired device's token is refused: it sends nothing more (its outbox stays as it is).
    return device && token && retirement(ctx) === null ? { deviceId: device.device_id, token } : null
  }

  const status = (): SyncStatus => {
    const stats = outboxStats(ctx.db)
    return {
      online,
      streaming,
      pending: stats.pending,
      oldestPendingAt: stats.oldestPendingAt,
      rejected: stats.rejected,
      lastSyncAt: readSyncState(ctx.db, 'last_sync_at'),
      nextRetryAt: nextRetryAt === null ? null : new Date(nextRetryAt).toISOString(),
      needsLogin: ctx.session.needsLogin,
      lastError,
      attention: openAttention(attentionList(ctx.db)),
      clockSkewMs: ctx.clock.offsetMs(),
    }
  }

  const emitStatus = (): SyncStatus | null => {
    // After stop() the database may be closed: a late network answer must not touch it.
    if (!running) return null
    const current = status()
    const key = JSON.stringify(current)
    if (key !== lastEmitted) {
      lastEmitted = key
      ctx.events.emit('syncStatus', current)
    }
    return current
  }

  // A burst of writes publishes one status, after the handlers that wrote have answered the courier.
  let statusSoon: NodeJS.Immediate | null = null
  const emitStatusSoon = (): void => {
    statusSoon ??= setImmediate(() => {
      statusSoon = null
      emitStatus()
    })
  }

  const clear = (timer: NodeJS.Timeout | null): null => {
    if (timer) clearTimeout(timer)
    return null
  }

  // ── uploads ────────────────────────────────────────────────────────────────────────────────────────────────

  const scheduleRetry = (): void => {
    failures++
    const delay = fullJitterDelay(failures, t.backoffBaseMs, t.backoffCapMs, random)
    retryTimer = clear(retryTimer)
    nextRetryAt = Date.now() + delay
    retryTimer = setTimeout(() => {
      retryTimer = null
      nextRetryAt = null
      void push('retry')
    }, delay)
  }

  /** One drain of the outbox: batches in sequence order until nothing is pending or something stops it. */
  const drain = async (): Promise<void> => {
    const who = credentials()
    if (!who || ctx.session.needsLogin) return
    for (;;) {
      const batch =
        rewindFrom !== null ? eventsFrom(ctx.db, rewindFrom, t.batchSize) : pendingEvents(ctx.db, t.batchSize)
      if (batch.length === 0) {
        rewindFrom = null
        break
      }
      let answer
      try {
        answer = await ctx.backend.request({
          method: 'POST',
          path: `/api/v1/devices/${encodeURIComponent(who.deviceId)}/events`,
          token: who.token,
          body: { events: batch, ...(gapFrom !== null ? { gap: { expected: gapFrom } } : {}) },
          response: PushEventsResponse,
          timeoutMs: 15_000,
        })
      } catch (error) {
        const failure = error instanceof TuotouError ? error : new TuotouError('internal', String(error))
        lastError = `${failure.code}: ${failure.message}`
        if (failure.code === SEQUENCE_GAP && typeof failure.details.expected === 'number') {
          const expected = failure.details.expected
          const oldest = oldestRetainedSeq(ctx.db)
          if (oldest !== null && oldest <= expected && expected !== rewindFrom) {
            // The backend holds less than the device thought: send again from where it stands.
            rewindFrom = expected
            continue
          }
          if (oldest !== null && oldest > expected && gapFrom === null) {
            // It wants events the device no longer holds (the backend was restored from an older backup after the
            // device pruned them): send what the device still has, past the gap; the depot is told of the gap.
            gapFrom = expected
            rewindFrom = oldest
            continue
          }
          lastError = `sync.cannot_rewind: the backend expects ${expected}; the device keeps events from ${oldest}`
        }
        if (failure.details.status === 401) {
          // The token is no longer good: ask the courier to log in; the queue stays exactly as it is.
          ctx.session.needsLogin = true
          emitDeviceStatus(ctx)
          return
        }
        scheduleRetry()
        return
      }
      if (!running) return
      // Past the gap once; from here the backend and the device agree again.
      gapFrom = null
      const settledAt = ctx.now().toISOString()
      const changed = settleEvents(ctx.db, answer.results, settledAt)
      if (answer.results.some((result) => result.status === 'rejected')) ctx.attentionChanged()
      failures = 0
      lastError = null
      writeSyncState(ctx.db, 'last_sync_at', settledAt)
      if (rewindFrom !== null) {
        rewindFrom = batch.at(-1)!.seq + 1
      } else if (changed === 0) {
        // An answer that settled nothing would loop forever; try again later.
        lastError = 'sync.no_progress: the backend settled none of the batch'
        scheduleRetry()
        return
      }
      emitStatus()
    }
    pruneAcked(ctx.db, new Date(ctx.now().getTime() - t.keepAckedMs).toISOString(), t.keepAckedCount)
    if (options.afterDrain && running) await options.afterDrain(who)
    await heartbeat()
  }

  const push = (_trigger: PushTrigger): Promise<void> => {
    if (!running) return Promise.resolve()
    if (pushing) {
      pushAgain = true
      return pushing
    }
    retryTimer = clear(retryTimer)
    nextRetryAt = null
    pushing = (async () => {
      try {
        do {
          pushAgain = false
          await drain()
        } while (running && pushAgain && retryTimer === null && !ctx.session.needsLogin)
      } catch (error) {
        // A fault in the device itself (not the network): keep the queue, say why, and try again later.
        if (!running) return
        lastError = `internal: ${error instanceof Error ? error.message : String(error)}`
        scheduleRetry()
      } finally {
        pushing = null
        emitStatus()
      }
    })()
    return pushing
  }

  // ── heartbeat ──────────────────────────────────────────────────────────────────────────────────────────────

  const heartbeat = async (): Promise<void> => {
    const who = credentials()
    if (!who) return
    const stats = outboxStats(ctx.db)
    const orphans = orphansToReport(ctx.db)
    try {
      const sentMs = ctx.now().getTime()
      const answer = await ctx.backend.request({
        method: 'POST',
        path: `/api/v1/devices/${encodeURIComponent(who.deviceId)}/heartbeat`,
        token: who.token,
        body: {
          pendingCount: stats.pending,
          oldestPendingAt: stats.oldestPendingAt,
          lastSyncAt: readSyncState(ctx.db, 'last_sync_at'),
          appVersion: ctx.options.version.slice(0, 32),
          sentAt: ctx.now().toISOString(),
          battery: ctx.session.battery,
          ...(orphans.length > 0 ? { evidenceOrphans: orphans } : {}),
        },
        response: HeartbeatResponse,
        timeoutMs: 5000,
      })
      // Taken: the backend recorded them in the heartbeat's transaction; until now each beat carried them again.
      orphansReported(
        ctx.db,
        orphans.map((orphan) => orphan.name),
        ctx.now().toISOString(),
      )
      // The heartbeat's answer carries the backend's time to the millisecond: the offset's best reading.
      ctx.clock.observe({
        serverMs: Date.parse(answer.serverTime),
        resolutionMs: 0,
        sentMs,
        receivedMs: ctx.now().getTime(),
      })
    } catch {
      // A missed heartbeat costs nothing; coverage has already been judged by the exchange itself.
    }
  }

  // ── coverage ───────────────────────────────────────────────────────────────────────────────────────────────

  const scheduleProbe = (): void => {
    if (!running || probeTimer || online) return
    probeFailures++
    const delay = Math.max(100, fullJitterDelay(probeFailures, t.probeBaseMs, t.probeCapMs, random))
    probeTimer = setTimeout(() => {
      probeTimer = null
      ctx.backend
        .request({ method: 'GET', path: '/api/v1/health', response: HealthResponse, timeoutMs: 3000 })
        .catch(() => undefined)
        .finally(() => {
          if (!online) scheduleProbe()
        })
    }, delay)
  }

  const observe = (outcome: BackendOutcome): void => {
    const reachable = outcome === 'reachable'
    if (reachable === online) return
    online = reachable
    if (reachable) {
      probeTimer = clear(probeTimer)
      probeFailures = 0
      if (running) {
        // Coverage is back: push at once rather than wait out the backoff, and reopen the stream.
        failures = 0
        void push('coverage')
        if (!streaming) connectSoon(0)
      }
    } else {
      scheduleProbe()
    }
    emitStatus()
  }

  // ── pull: the device stream ────────────────────────────────────────────────────────────────────────────────

  const connectSoon = (delay: number): void => {
    if (!running) return
    streamTimer = clear(streamTimer)
    streamTimer = setTimeout(() => {
      streamTimer = null
      void connect()
    }, delay)
  }

  const connect = async (): Promise<void> => {
    const who = credentials()
    if (!running || !who || stream) return
    const controller = new AbortController()
    stream = controller
    // Always a cursor, `0` before the first message: without one the backend streams only what comes next, and
    // whatever arrived while the device was away (a payment during a dead zone) would never reach it.
    const cursor = readSyncState(ctx.db, 'stream_cursor') ?? '0'
    try {
      const res = await ctx.backend.openStream({
        path: `/api/v1/devices/${encodeURIComponent(who.deviceId)}/stream`,
        token: who.token,
        headers: { 'last-event-id': cursor },
        signal: controller.signal,
      })
      streaming = true
      streamFailures = 0
      emitStatus()
      const parser = createSseParser()
      const decoder = new TextDecoder()
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (!running) break
        for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
          applyStreamMessage(ctx, message, {
            refetchManifest: () => void options.refetchManifest().catch(() => undefined),
          })
        }
      }
    } catch (error) {
      if (error instanceof TuotouError && error.details.status === 401) {
        ctx.session.needsLogin = true
        emitDeviceStatus(ctx)
      }
    } finally {
      if (stream === controller) stream = null
      streaming = false
      emitStatus()
    }
    // After a 401 the stream waits for the courier's login (`start('login')`) instead of hammering the backend.
    if (!running || controller.signal.aborted || ctx.session.needsLogin) return
    streamFailures++
    connectSoon(Math.max(200, fullJitterDelay(streamFailures, t.streamRetryBaseMs, t.streamRetryCapMs, random)))
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────────────────────

  return {
    start(trigger) {
      if (!credentials()) return
      if (!running) {
        running = true
        periodicTimer = setInterval(() => {
          if (retryTimer === null && outboxStats(ctx.db).pending > 0) void push('timer')
        }, t.periodicMs)
        heartbeatTimer = setInterval(() => {
          if (online) void heartbeat()
          else scheduleProbe()
        }, t.heartbeatMs)
        periodicTimer.unref()
        heartbeatTimer.unref()
      }
      failures = 0
      void push(trigger)
      if (!stream) connectSoon(0)
    },
    notifyWrite() {
      if (!running) return
      emitStatusSoon()
      debounceTimer = clear(debounceTimer)
      debounceTimer = setTimeout(() => {
        debounceTimer = null
        // A write while waiting out a backoff does not jump the queue: coverage or the retry timer will push.
        if (retryTimer === null) void push('write')
      }, t.debounceMs)
    },
    observe,
    async syncNow() {
      if (running) {
        failures = 0
        // A push already under way may end in a backoff; the courier asked for one now, after it.
        if (pushing) await pushing
        await push('manual')
      }
      return emitStatus() ?? status()
    },
    status,
    refreshStatus() {
      emitStatus()
    },
    stop() {
      running = false
      if (statusSoon) clearImmediate(statusSoon)
      statusSoon = null
      for (const timer of [retryTimer, debounceTimer, probeTimer, streamTimer]) clear(timer)
      retryTimer = debounceTimer = probeTimer = streamTimer = null
      if (periodicTimer) clearInterval(periodicTimer)
      if (heartbeatTimer) clearInterval(heartbeatTimer)
      stream?.abort()
      stream = null
    },
  }
}
