import { describe, expect, it } from 'vitest'
import en from './en'
import { resolveLocale } from './locale'
import zhCN from './zh-CN'

describe('resolveLocale', () => {
  it('keeps an explicit choice whatever the system says', () => {
    expect(resolveLocale('en', ['zh-CN'])).toBe('en')
    expect(resolveLocale('zh-CN', ['en-US'])).toBe('zh-CN')
  })

  it('follows the first system language it speaks', () => {
    expect(resolveLocale('system', ['zh-TW', 'en'])).toBe('zh-CN')
    expect(resolveLocale('system', ['en-GB', 'zh-CN'])).toBe('en')
    expect(resolveLocale('system', ['fr-FR', 'en-US'])).toBe('en')
  })

  it('falls back to Chinese when it speaks none of them', () => {
    expect(resolveLocale('system', ['fr-FR'])).toBe('zh-CN')
    expect(resolveLocale('system', [])).toBe('zh-CN')
  })
})

function keys(tree: object, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null ? keys(value as object, `${prefix}${key}.`) : [`${prefix}${key}`],
  )
}

describe('messages', () => {
  it('has every English key in Chinese and no extra ones', () => {
    expect(keys(zhCN).sort()).toEqual(keys(en).sort())
  })

  it('has no empty message', () => {
    for (const [name, tree] of Object.entries({ en, zhCN })) {
      for (const key of keys(tree)) {
        const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], tree)
        expect(typeof value === 'string' && value.trim().length > 0, `${name} ${key}`).toBe(true)
      }
    }
  })
})
