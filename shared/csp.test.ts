import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DASHBOARD_CSP, SCANNING_PAGE_CSP, type PagePolicy } from './csp'

const metaPolicy = (entry: string): string | undefined => {
  const html = readFileSync(join(import.meta.dirname, '..', 'src-renderer', entry, 'index.html'), 'utf8')
  return /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html)?.[1]
}

describe('page policies', () => {
  it.each<[string, PagePolicy]>([
    ['terminal', SCANNING_PAGE_CSP],
    ['wallet', SCANNING_PAGE_CSP],
    ['depot', DASHBOARD_CSP],
  ])('the %s page’s meta tag is the policy its server sends, less the framing rule', (entry, policy) => {
    expect(metaPolicy(entry)).toBe(policy.meta)
    expect(policy.header).toBe(`${policy.meta}; frame-ancestors 'none'`)
  })

  it('lets nothing load from another origin', () => {
    for (const policy of [SCANNING_PAGE_CSP, DASHBOARD_CSP]) expect(policy.header).not.toMatch(/https?:|\*/)
    expect(DASHBOARD_CSP.header).not.toMatch(/unsafe-inline|unsafe-eval/)
  })
})
