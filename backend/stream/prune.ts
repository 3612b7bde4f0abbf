import type { BackendContext } from '../context'

export interface StreamPruner {
  /** Deletes what is past retention now, and answers how many messages went. */
  prune(): Promise<number>
  stop(): void
}

/**
 * Deletes stored stream messages older than `config.stream.retentionMs`. The store exists so a device coming
 * back with `Last-Event-ID` is sent what it missed; a device away for longer than retention has long ended its
 * shift and reads its day again when it logs in. Each device's cursor is kept, so ids never start over.
 */
export async function pruneStreamMessages(context: Pick<BackendContext, 'db' | 'config' | 'now'>): Promise<number> {
  const before = context.now() - context.config.stream.retentionMs
  const result = await context.db.deleteFrom('stream_messages').where('created_ms', '<', before).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Prunes soon after start, then every `config.stream.pruneEveryMs`; a failure is logged and tried next time. */
export function startStreamPruner(context: BackendContext): StreamPruner {
  const prune = async (): Promise<number> => {
    const removed = await pruneStreamMessages(context)
    if (removed > 0) context.log.info({ removed }, 'stream messages past retention deleted')
    return removed
  }
  const tick = (): void => {
    prune().catch((error: unknown) => context.log.warn({ err: error }, 'stream messages not pruned'))
  }
  const first = setTimeout(tick, Math.min(60_000, context.config.stream.pruneEveryMs))
  const every = setInterval(tick, context.config.stream.pruneEveryMs)
  first.unref()
  every.unref()
  return {
    prune,
    stop() {
      clearTimeout(first)
      clearInterval(every)
    },
  }
}
