import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, type Rollup } from 'vite'
import { describe, expect, it } from 'vitest'
import { noRemoteCss } from './no-remote-css'

/** Builds a one-file page importing `css` with the plugin, and returns the CSS it emitted. */
async function buildCss(css: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tuotou-css-'))
  writeFileSync(join(dir, 'style.css'), css)
  writeFileSync(join(dir, 'main.js'), `import './style.css'\nimport 'vant/lib/index.css'\n`)
  const output = (await build({
    root: dir,
    logLevel: 'silent',
    configFile: false,
    resolve: { alias: { 'vant/lib': join(import.meta.dirname, '..', 'node_modules', 'vant', 'lib') } },
    plugins: [noRemoteCss()],
    build: { write: false, lib: { entry: join(dir, 'main.js'), formats: ['es'], fileName: 'main' } },
  })) as Rollup.RollupOutput[]
  return output
    .flatMap((o) => o.output)
    .filter((file): file is Rollup.OutputAsset => file.type === 'asset' && file.fileName.endsWith('.css'))
    .map((file) => String(file.source))
    .join('\n')
}

describe('no remote CSS', () => {
  it('keeps Vant’s inlined icon font and drops its at.alicdn.com fallback', async () => {
    const css = await buildCss('.x { color: red }')
    expect(css).toContain('font-family:vant-icon')
    expect(css).toMatch(/src:url\(data:font\/woff2/)
    expect(css).not.toContain('alicdn')
  })

  it('fails the build on any other url() that would leave the machine', async () => {
    await expect(buildCss('.x { background: url(https://example.com/x.png) }')).rejects.toThrow(
      /would fetch from the network/,
    )
    await expect(buildCss('.x { background: url(//cdn.example.com/x.png) }')).rejects.toThrow(
      /would fetch from the network/,
    )
  })
})
