import { computed, reactive, shallowRef } from 'vue'
import { createI18n } from 'vue-i18n'
import { IpcError } from '../../bridge'
import en from './en'
import { resolveLocale } from './locale'
import zhCN from './zh-CN'

export const messages = { 'zh-CN': zhCN, en }

const datetime = {
  short: { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false },
  time: { hour: '2-digit', minute: '2-digit', hour12: false },
} as const

export const i18n = createI18n({
  legacy: false,
  datetimeFormats: { 'zh-CN': datetime, en: datetime },
  locale: resolveLocale('system', navigator.languages),
  fallbackLocale: 'en',
  messages,
  missingWarn: false,
  fallbackWarn: false,
})

/**
 * Translates an error code from the core. A code the terminal has no words for (a new refusal from the backend)
 * falls back to `fallbackKey` with the code, so the courier never reads the English detail in a Chinese screen;
 * without one it falls back to the generic message.
 */
export function errorMessage(
  code: string,
  message: string,
  details: Record<string, unknown> = {},
  fallbackKey?: string,
): string {
  const t = (key: string, values?: Record<string, unknown>): string => i18n.global.t(key, values ?? {})
  const te = (key: string): boolean => i18n.global.te(key)
  const params: Record<string, unknown> = { ...details }
  if (typeof params.status === 'string' && te(`order.status.${params.status}`)) {
    params.status = t(`order.status.${params.status}`)
  }
  const key = `errors.${code}`
  if (te(key)) return t(key, params)
  if (fallbackKey) return t(fallbackKey, { code })
  return t('errors.internal', { message })
}

/** `errorMessage` for anything a bridge call threw. */
export function describeError(error: unknown, fallbackKey?: string): string {
  if (error instanceof IpcError) return errorMessage(error.code, error.message, error.details, fallbackKey)
  return i18n.global.t('errors.internal', { message: error instanceof Error ? error.message : String(error) })
}

/**
 * A message a screen shows (a refusal, a validation hint), kept as how to say it rather than as what was said,
 * so it follows a change of language made while it is on screen.
 */
export function useScreenMessage(): { readonly text: string; set(say: () => string): void; clear(): void } {
  const say = shallowRef<(() => string) | null>(null)
  const text = computed(() => say.value?.() ?? '')
  return reactive({
    text,
    set: (next: () => string) => {
      say.value = next
    },
    clear: () => {
      say.value = null
    },
  })
}

/** How long ago, in the largest units that matter at a glance: `40 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatAge(ms: number): string {
  const t = (key: string, values: Record<string, unknown>): string => i18n.global.t(key, values)
  const seconds = Math.max(0, Math.floor(ms / 1000))
  if (seconds < 60) return t('sync.age.seconds', { n: seconds })
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return t('sync.age.minutes', { n: minutes })
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return t('sync.age.hours', { h: hours, m: minutes % 60 })
  return t('sync.age.days', { d: Math.floor(hours / 24), h: hours % 24 })
}

/**
 * What a refused event was and why, in the courier's words. A reason the terminal has no words for (a new rule on
 * the backend) is still shown, with its code, rather than dropped.
 */
export function describeRejection(type: string, reason: string): { what: string; why: string } {
  const t = (key: string, values: Record<string, unknown> = {}): string => i18n.global.t(key, values)
  const te = (key: string): boolean => i18n.global.te(key)
  const what = te(`eventType.${type}`) ? t(`eventType.${type}`) : t('eventType.unknown')
  const why = te(`rejection.${reason}`) ? t(`rejection.${reason}`) : t('rejection.unknown', { code: reason })
  return { what, why }
}
