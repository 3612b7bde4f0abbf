/**
 * The content security policies of the renderer pages: everything from their own origin, nothing from a CDN.
 * Each page's `index.html` carries its policy in a meta tag (`meta`); the servers that serve a page send it as a
 * header (`header`), which may also refuse framing, as a meta tag cannot. `csp.test.ts` keeps the tags in step.
 */
export interface PagePolicy {
  meta: string
  header: string
}

function policy(directives: readonly string[]): PagePolicy {
  return {
    meta: directives.join('; '),
    header: [...directives, "frame-ancestors 'none'"].join('; '),
  }
}

/** The terminal and the sandbox wallet: zxing's WebAssembly and workers, the camera, Vant's inline styles. */
export const SCANNING_PAGE_CSP = policy([
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
])

/**
 * The depot dashboard: nothing inline. ECharts draws on a canvas and Vue sets styles through the CSSOM, so neither
 * needs 'unsafe-inline'.
 */
export const DASHBOARD_CSP = policy([
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
])
