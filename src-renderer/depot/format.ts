import { formatFen } from '../../shared/money'
import { i18n } from './i18n'

/** Money as ¥66.60 from integer fen; a difference keeps its sign (`+¥6.60`, `-¥6.60`). */
export const money = (fen: number): string => formatFen(fen)
export const signedMoney = (fen: number): string => (fen > 0 ? `+${formatFen(fen)}` : formatFen(fen))

/** A duration in the supervisor's language: `4分12秒`, `4 min 12 s`, `1 h 5 min`. */
export function duration(ms: number | null): string {
  if (ms === null) return '—'
  const seconds = Math.round(ms / 1000)
  const { t } = i18n.global
  if (seconds < 60) return t('units.seconds', { s: seconds })
  if (seconds < 3600) return t('units.minutes', { m: Math.floor(seconds / 60), s: seconds % 60 })
  return t('units.hours', { h: Math.floor(seconds / 3600), m: Math.floor((seconds % 3600) / 60) })
}

const timeFormats = new Map<string, Intl.DateTimeFormat>()

/** A duration as `m:ss` (or `h:mm:ss`), compact for table cells; `—` for none. */
export function shortDuration(ms: number | null): string {
  if (ms === null) return '—'
  const seconds = Math.round(ms / 1000)
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = String(seconds % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`
}

/** A time of day (`09:14`) in the depot's time zone, whatever the browser's zone is; `—` for none. */
export function clockTime(iso: string | null, timeZone: string): string {
  if (iso === null) return '—'
  let format = timeFormats.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    timeFormats.set(timeZone, format)
  }
  return format.format(new Date(iso))
}

/** Deliveries per hour with one decimal, `—` before there is a pace. */
export const pace = (perHour: number | null): string => (perHour === null ? '—' : perHour.toFixed(1))
