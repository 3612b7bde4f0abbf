import type { Plugin } from 'vite'

/** A `url(...)` in CSS that would leave the machine: `//host/…`, `http://…`, `https://…`. */
const REMOTE_CSS_URL = /url\(\s*(['"]?)(?:https?:)?\/\/[^)]*\)/

/**
 * The terminal fetches nothing from the network (it may have none, and the courier's data stays put). Vant's
 * icon font is inlined as a data: URL, but its `@font-face` also names a fallback on at.alicdn.com; that source
 * is cut here, and any other remote `url()` left in the built CSS fails the build rather than ship.
 */
export function noRemoteCss(): Plugin[] {
  return [
    {
      name: 'tuotou:no-remote-css:cut',
      enforce: 'pre',
      transform(code, id) {
        if (!/\.css(?:$|\?)/.test(id) || !code.includes('at.alicdn.com')) return null
        const cut = code.replace(/,\s*url\(\s*(['"]?)(?:https?:)?\/\/at\.alicdn\.com[^)]*\)\s*format\([^)]*\)/g, '')
        return { code: cut, map: null }
      },
    },
    {
      // After Vite has emitted the CSS assets, so it checks what actually ships.
      name: 'tuotou:no-remote-css:check',
      enforce: 'post',
      generateBundle(_options, bundle) {
        for (const file of Object.values(bundle)) {
          if (file.type !== 'asset' || !file.fileName.endsWith('.css')) continue
          const text = typeof file.source === 'string' ? file.source : new TextDecoder().decode(file.source)
          const remote = REMOTE_CSS_URL.exec(text)
          if (remote) this.error(`${file.fileName} would fetch from the network: ${remote[0].slice(0, 120)}`)
        }
      },
    },
  ]
}
