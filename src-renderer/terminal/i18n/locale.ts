import type { Locale } from '../../../shared/ipc/contract'

/** The locale to show: the courier's choice, or else the first system language we speak (Chinese or English). */
export function resolveLocale(setting: Locale | 'system', systemLanguages: readonly string[]): Locale {
  if (setting !== 'system') return setting
  for (const language of systemLanguages) {
    const lower = language.toLowerCase()
    if (lower.startsWith('zh')) return 'zh-CN'
    if (lower.startsWith('en')) return 'en'
  }
  return 'zh-CN'
}
