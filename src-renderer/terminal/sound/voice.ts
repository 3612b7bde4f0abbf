import { announcementSegments, type Announcement, type VoiceLocale } from '../../../shared/voice'
import { markSpeechStart } from '../perf'
import { decode, play, ready } from './audio'
import { playTone } from './tones'

/** Every recorded segment, bundled with the app (`scripts/make-voice.ts` made them). */
const files = import.meta.glob<string>('../../../resources/voice/*/*.wav', {
  query: '?url',
  import: 'default',
  eager: true,
})

const urlOf = (locale: VoiceLocale, id: string): string | undefined =>
  files[`../../../resources/voice/${locale}/${id}.wav`]

/** Decodes a language's segments ahead, so the first payment is spoken without a wait. */
export function preloadVoice(locale: VoiceLocale): void {
  for (const [path, url] of Object.entries(files)) if (path.includes(`/${locale}/`)) void decode(url)
}

/**
 * Says a confirmed payment: the payment tone, then the segments back to back, scheduled on the audio clock so
 * nothing waits on the page. Marks when the speech starts, for the bench.
 */
export async function speak(locale: VoiceLocale, announcement: Announcement, intentId: string): Promise<void> {
  const ids = announcementSegments(locale, announcement)
  const out = await ready()
  const buffers = await Promise.all(ids.map((id) => decode(urlOf(locale, id) ?? '')))
  if (!out) return
  let at = out.ctx.currentTime + 0.01
  at += (await playTone('paid', at)) * 0.6
  const speechStart = at
  for (const buffer of buffers) {
    if (!buffer) continue
    const source = out.ctx.createBufferSource()
    source.buffer = buffer
    source.connect(out.out)
    play(source, at)
    at += buffer.duration + 0.03
  }
  markSpeechStart(intentId, Date.now() + (speechStart - out.ctx.currentTime) * 1000)
}
