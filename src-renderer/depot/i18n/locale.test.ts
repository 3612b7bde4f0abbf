// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import en from './en'
import { errorMessage, eventTypeName, i18n, rejectionReason, resolveLocale, setLocale } from './index'
import zhCN from './zh-CN'

/** Every leaf key of a message tree, dotted. */
function keys(tree: object, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null ? keys(value as object, `${prefix}${key}.`) : [`${prefix}${key}`],
  )
}

describe('dashboard language', () => {
  it('follows a saved choice, else the system languages, else Chinese', () => {
    expect(resolveLocale('en', ['zh-CN'])).toBe('en')
    expect(resolveLocale(null, ['fr-FR', 'zh-TW'])).toBe('zh-CN')
    expect(resolveLocale(null, ['en-US', 'zh-CN'])).toBe('en')
    expect(resolveLocale('de', ['de-DE'])).toBe('zh-CN')
  })

  it('has every word in both languages, and none empty', () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort())
    for (const tree of [en, zhCN]) {
      for (const key of keys(tree)) {
        const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], tree)
        expect([key, typeof value === 'string' && value.trim().length > 0]).toEqual([key, true])
      }
    }
  })

  it('translates backend codes, and falls back to the code or the English detail', () => {
    i18n.global.locale.value = 'zh-CN'
    expect(errorMessage('cash.note_required', 'x')).toBe('金额与应收不符，请填写备注')
    expect(errorMessage('something.new', 'boom')).toBe('出错了：boom')
    expect(rejectionReason('order.reassigned')).toBe('订单已转派给其他快递员')
    expect(rejectionReason('brand.new_reason')).toBe('brand.new_reason')
    expect(eventTypeName('delivery.completed')).toBe('妥投')
    setLocale('en')
    expect(localStorage.getItem('tuotou.depot.locale')).toBe('en')
    expect(document.documentElement.lang).toBe('en')
    expect(rejectionReason('receipt.bad_signature')).toBe("The receipt's signature is not the acquirer's")
  })
})
