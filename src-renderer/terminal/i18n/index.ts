import { createI18n } from 'vue-i18n'
import en from './en'
import { resolveLocale } from './locale'
import zhCN from './zh-CN'

export const messages = { 'zh-CN': zhCN, en }

export const i18n = createI18n({
  legacy: false,
  locale: resolveLocale('system', navigator.languages),
  fallbackLocale: 'en',
  messages,
  missingWarn: false,
  fallbackWarn: false,
})

/** Translates an error code from the core, falling back to the generic message with the English detail. */
export function errorMessage(code: string, message: string, details: Record<string, unknown> = {}): string {
  const key = `errors.${code}`
  return i18n.global.te(key) ? i18n.global.t(key, details) : i18n.global.t('errors.internal', { message })
}
