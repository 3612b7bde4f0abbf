import { createI18n } from 'vue-i18n'
import en from './en'
import zhCN from './zh-CN'

export type DepotLocale = 'zh-CN' | 'en'
export const LOCALES: readonly DepotLocale[] = ['zh-CN', 'en']

const STORAGE_KEY = 'tuotou.depot.locale'

/** The supervisor's own choice if they made one here, else the first system language we speak, else Chinese. */
export function resolveLocale(saved: string | null, systemLanguages: readonly string[]): DepotLocale {
  if (saved === 'zh-CN' || saved === 'en') return saved
  for (const language of systemLanguages) {
    const lower = language.toLowerCase()
    if (lower.startsWith('zh')) return 'zh-CN'
    if (lower.startsWith('en')) return 'en'
  }
  return 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: resolveLocale(localStorage.getItem(STORAGE_KEY), navigator.languages),
  fallbackLocale: 'en',
  messages: { 'zh-CN': zhCN, en },
  missingWarn: false,
  fallbackWarn: false,
})

/** Switches the language and remembers it in this browser. */
export function setLocale(locale: DepotLocale): void {
  i18n.global.locale.value = locale
  localStorage.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
}

/** A backend error code (`cash.note_required`) in the supervisor's language, with the English detail as a fallback. */
export function errorMessage(code: string, message: string): string {
  const key = `errors.${code}`
  return i18n.global.te(key) ? i18n.global.t(key, { message }) : i18n.global.t('errors.other', { message })
}

/** A rejection reason code in words, or the code itself when it is one we have no words for. */
export function rejectionReason(code: string): string {
  const key = `rejections.${code}`
  return i18n.global.te(key) ? i18n.global.t(key) : code
}

/** An event type in words, or the type itself. */
export function eventTypeName(type: string): string {
  const key = `eventTypes.${type}`
  return i18n.global.te(key) ? i18n.global.t(key) : type
}
