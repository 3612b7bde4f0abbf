import { MAX_EVIDENCE_BYTES, PHOTO_LONG_SIDE_PX, type SignatureStrokes } from '../../../shared/api/evidence'

/** Photo capture → stored file, for the bench (`bench/evidence.bench.ts`): shutter tap to the core's answer. */
export const MEASURE_PHOTO_STORED = 'tt:photo-stored'

const JPEG_QUALITIES = [0.85, 0.75, 0.65, 0.55, 0.45, 0.35]

function blobOf(canvas: HTMLCanvasElement, type: string, quality?: number): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the picture could not be encoded'))),
      type,
      quality,
    ),
  )
}

/** The blob's bytes as base64 (what the IPC contract carries), without a data-URL prefix. */
async function base64Of(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer())
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

/**
 * A camera frame as a JPEG of at most `MAX_EVIDENCE_BYTES`, `PHOTO_LONG_SIDE_PX` on its long side at most: the
 * quality is stepped down until it fits, and only past the lowest quality is the picture made smaller.
 */
export async function compressPhoto(
  source: CanvasImageSource,
  width: number,
  height: number,
): Promise<{ data: string; bytes: number; width: number; height: number }> {
  let scale = Math.min(1, PHOTO_LONG_SIDE_PX / Math.max(width, height, 1))
  for (let round = 0; round < 5; round++) {
    const canvas = document.createElement('canvas')
    canvas.width = Math.max(1, Math.round(width * scale))
    canvas.height = Math.max(1, Math.round(height * scale))
    canvas.getContext('2d')!.drawImage(source, 0, 0, canvas.width, canvas.height)
    for (const quality of JPEG_QUALITIES) {
      const blob = await blobOf(canvas, 'image/jpeg', quality)
      if (blob.size <= MAX_EVIDENCE_BYTES) {
        return { data: await base64Of(blob), bytes: blob.size, width: canvas.width, height: canvas.height }
      }
    }
    scale *= 0.7
  }
  throw new Error('the photo could not be made small enough')
}

/** The signature's strokes drawn black on white, as a PNG (halved until it fits the size limit). */
export async function signaturePng(
  strokes: SignatureStrokes,
  width: number,
  height: number,
): Promise<{ data: string; bytes: number }> {
  for (let scale = 1; scale >= 0.25; scale /= 2) {
    const canvas = document.createElement('canvas')
    canvas.width = Math.max(1, Math.round(width * scale))
    canvas.height = Math.max(1, Math.round(height * scale))
    const ctx = canvas.getContext('2d')!
    ctx.fillStyle = '#fff'
    ctx.fillRect(0, 0, canvas.width, canvas.height)
    drawStrokes(ctx, strokes, scale)
    const blob = await blobOf(canvas, 'image/png')
    if (blob.size <= MAX_EVIDENCE_BYTES) return { data: await base64Of(blob), bytes: blob.size }
  }
  throw new Error('the signature could not be made small enough')
}

/** Draws strokes (points in pad pixels) at `scale`: the pad while signing, and the PNG kept as evidence. */
export function drawStrokes(ctx: CanvasRenderingContext2D, strokes: SignatureStrokes, scale = 1): void {
  ctx.strokeStyle = '#000'
  ctx.lineWidth = Math.max(1, 4 * scale)
  ctx.lineCap = 'round'
  ctx.lineJoin = 'round'
  for (const stroke of strokes) {
    ctx.beginPath()
    const [first, ...rest] = stroke
    ctx.moveTo(first![0] * scale, first![1] * scale)
    if (rest.length === 0) ctx.lineTo(first![0] * scale + 0.1, first![1] * scale)
    for (const [x, y] of rest) ctx.lineTo(x * scale, y * scale)
    ctx.stroke()
  }
}
