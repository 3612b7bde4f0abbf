import { createWedgeDetector, type WedgeDetector } from './wedge'

export interface WedgeListenerOptions {
  onScan(code: string, endedAt: number): void
  /** `KeyboardEvent.code` of the key that opens the camera. */
  cameraKey(): string
  onCameraKey(): void
  /** `KeyboardEvent.code` of the handheld's scan trigger: it starts a scan with the camera. */
  triggerKey(): string
  onTriggerKey(): void
}

type Editable = HTMLInputElement | HTMLTextAreaElement

function editable(element: Element | null): Editable | null {
  return element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement ? element : null
}

/**
 * Listens to every key press on the page, before any control sees it, so a scanner works whatever has focus.
 * A burst that turns out to be a scan is taken back out of the field it typed into (the field gets its value
 * from before the burst), and its Enter/Tab is swallowed so it neither submits a form nor moves focus.
 * Returns the disposer.
 */
export function listenForWedge(target: Window, options: WedgeListenerOptions): () => void {
  const detector: WedgeDetector = createWedgeDetector()
  let snapshot: { field: Editable; value: string } | null = null

  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.code === options.cameraKey() && !detector.inBurst(event.timeStamp)) {
      event.preventDefault()
      options.onCameraKey()
      return
    }
    if (event.code === options.triggerKey() && !detector.inBurst(event.timeStamp)) {
      event.preventDefault()
      // A trigger held down repeats its key; the scan it started is already under way.
      if (!event.repeat) options.onTriggerKey()
      return
    }
    if (!detector.inBurst(event.timeStamp)) {
      const field = editable(document.activeElement)
      snapshot = field ? { field, value: field.value } : null
    }
    const verdict = detector.feed({
      code: event.code,
      key: event.key,
      shiftKey: event.shiftKey,
      ctrlKey: event.ctrlKey,
      altKey: event.altKey,
      metaKey: event.metaKey,
      timeStamp: event.timeStamp,
      capsLock: event.getModifierState?.('CapsLock') ?? false,
    })
    if (verdict.kind !== 'scan') return
    event.preventDefault()
    event.stopImmediatePropagation()
    if (snapshot && snapshot.field.value !== snapshot.value) {
      snapshot.field.value = snapshot.value
      // v-model listens to `input`: tell it the value went back.
      snapshot.field.dispatchEvent(new Event('input', { bubbles: true }))
    }
    snapshot = null
    options.onScan(verdict.code, verdict.endedAt)
  }

  target.addEventListener('keydown', onKeyDown, { capture: true })
  return () => target.removeEventListener('keydown', onKeyDown, { capture: true })
}
