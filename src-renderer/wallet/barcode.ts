import { prepareZXingModule, writeBarcode } from 'zxing-wasm/writer'
import wasmUrl from 'zxing-wasm/writer/zxing_writer.wasm?url'

// The writer's .wasm is bundled and served by the acquirer like the reader's, never fetched from a CDN.
prepareZXingModule({
  overrides: {
    locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path),
  },
})

/** The dark and light modules of a Code 128 symbol for `text`, left to right (true: a bar). */
export async function code128Modules(text: string): Promise<boolean[]> {
  const written = await writeBarcode(text, { format: 'Code128', scale: 1 })
  if (written.error) throw new Error(written.error)
  return [...(written.utf8.split('\n')[0] ?? '')].map((char) => char === '█')
}

/** Draws the bars on a canvas, `moduleWidth` px each, with a quiet zone of ten modules either side. */
export function drawBars(canvas: HTMLCanvasElement, modules: boolean[], moduleWidth: number, height: number): void {
  const quiet = 10
  canvas.width = (modules.length + 2 * quiet) * moduleWidth
  canvas.height = height
  const context = canvas.getContext('2d')!
  context.fillStyle = '#fff'
  context.fillRect(0, 0, canvas.width, canvas.height)
  context.fillStyle = '#000'
  modules.forEach((bar, i) => {
    if (bar) context.fillRect((quiet + i) * moduleWidth, 0, moduleWidth, height)
  })
}
