import noticeUrl from '../../../resources/sounds/completion-notice.wav?url'
import goodUrl from '../../../resources/sounds/scan-good.wav?url'
import refusedUrl from '../../../resources/sounds/scan-refused.wav?url'
import { markTone } from '../perf'

/** A good scan, a refusal, and a completion the courier did not watch (a payment for an earlier order). */
export type Tone = 'good' | 'refused' | 'notice'

const urls: Record<Tone, string> = { good: goodUrl, refused: refusedUrl, notice: noticeUrl }

let context: AudioContext | null = null
const buffers = new Map<Tone, Promise<AudioBuffer | null>>()

function audio(): AudioContext | null {
  if (typeof AudioContext === 'undefined') return null
  context ??= new AudioContext()
  return context
}

function load(tone: Tone): Promise<AudioBuffer | null> {
  let buffer = buffers.get(tone)
  if (!buffer) {
    const ctx = audio()
    buffer = ctx
      ? fetch(urls[tone])
          .then((res) => res.arrayBuffer())
          .then((bytes) => ctx.decodeAudioData(bytes))
          .catch(() => null)
      : Promise.resolve(null)
    buffers.set(tone, buffer)
  }
  return buffer
}

/** Decodes every tone ahead, so the first scan beeps without a delay. */
export function preloadTones(): void {
  for (const tone of Object.keys(urls) as Tone[]) void load(tone)
}

/**
 * Plays a scan tone through Web Audio. A scan is a key press, which lets the page make sound; where audio is
 * unavailable the scan still works, silently.
 */
export async function playTone(tone: Tone): Promise<void> {
  markTone(tone)
  const ctx = audio()
  const buffer = await load(tone)
  if (!ctx || !buffer) return
  if (ctx.state === 'suspended') await ctx.resume().catch(() => undefined)
  const source = ctx.createBufferSource()
  source.buffer = buffer
  source.connect(ctx.destination)
  source.start()
}
