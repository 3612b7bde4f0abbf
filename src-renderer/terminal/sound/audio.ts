/**
 * The terminal's one audio output, shared by the tones and the spoken payment confirmation: one AudioContext,
 * decoded buffers cached by URL, and a master volume (the courier's setting, 0 to 100). Where Web Audio is
 * unavailable everything still works, silently.
 */

let context: AudioContext | null = null
let master: GainNode | null = null
let volume = 0.8
const decoded = new Map<string, Promise<AudioBuffer | null>>()
/** Sounds started and not yet ended; when none is left the context is suspended, so silence costs no CPU. */
let sounding = 0
let rest: ReturnType<typeof setTimeout> | null = null
/** How long the context stays awake after the last sound, for a tone that follows another at once. */
const REST_AFTER_MS = 1500

export function audio(): { ctx: AudioContext; out: GainNode } | null {
  if (typeof AudioContext === 'undefined') return null
  if (!context) {
    context = new AudioContext()
    master = context.createGain()
    master.gain.value = volume
    master.connect(context.destination)
    // At rest until the first sound: `ready()` wakes it, and the sound's end puts it back.
    void context.suspend().catch(() => undefined)
  }
  return { ctx: context, out: master! }
}

/** The courier's volume setting, 0 to 100. */
export function setVolume(percent: number): void {
  volume = Math.max(0, Math.min(100, percent)) / 100
  if (master) master.gain.value = volume
}

/** A sound file decoded once (its URL is bundled with the app: nothing comes from the network). */
export function decode(url: string): Promise<AudioBuffer | null> {
  let buffer = decoded.get(url)
  if (!buffer) {
    const out = audio()
    buffer = out
      ? fetch(url)
          .then((res) => res.arrayBuffer())
          .then((bytes) => out.ctx.decodeAudioData(bytes))
          .catch(() => null)
      : Promise.resolve(null)
    decoded.set(url, buffer)
  }
  return buffer
}

/**
 * Wakes the context: the page may not have been allowed to play yet (a scan or a tap is what allows it), or it
 * was put to rest after the last sound.
 */
export async function ready(): Promise<{ ctx: AudioContext; out: GainNode } | null> {
  const out = audio()
  if (rest) clearTimeout(rest)
  rest = null
  if (out && out.ctx.state === 'suspended') await out.ctx.resume().catch(() => undefined)
  return out
}

/**
 * Starts a sound and keeps the context awake until it has ended. A running AudioContext renders silence on
 * its own thread all the time (a few per cent of a core on a handheld); at rest it is suspended.
 */
export function play(source: AudioBufferSourceNode, at: number): void {
  sounding++
  source.addEventListener('ended', () => {
    sounding--
    if (sounding > 0 || !context) return
    if (rest) clearTimeout(rest)
    rest = setTimeout(() => {
      rest = null
      if (sounding === 0 && context?.state === 'running') void context.suspend().catch(() => undefined)
    }, REST_AFTER_MS)
  })
  // A rest that began while this sound's buffer was still decoding must not leave it scheduled in silence.
  if (context?.state === 'suspended') void context.resume().catch(() => undefined)
  source.start(at)
}
