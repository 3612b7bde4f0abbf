import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { EvidenceKind, SignatureStrokes } from '../../../shared/api/evidence'
import type { Handover, OverrideReason } from '../../../shared/api/proof'
import { bridge, IpcError } from '../../bridge'
import { useDoorstepStore } from './doorstep'

/**
 * Proof at the door for the order in hand: the handover chosen, the delivery code typed (checked offline by the
 * core, five tries across restarts), and an override with its reason. The order card shows the core's answer.
 */
export const useProofStore = defineStore('proof', () => {
  const code = ref('')
  /** The last code try: wrong (with tries left) or right; null before any. */
  const lastTry = ref<{ ok: boolean; triesLeft: number } | null>(null)
  const error = ref<IpcError | null>(null)
  const busy = ref(false)
  const overriding = ref(false)

  async function run<T>(action: () => Promise<T>): Promise<T | null> {
    busy.value = true
    error.value = null
    try {
      return await action()
    } catch (caught) {
      if (caught instanceof IpcError) {
        error.value = caught
        return null
      }
      throw caught
    } finally {
      busy.value = false
    }
  }

  function reset(): void {
    code.value = ''
    lastTry.value = null
    error.value = null
    overriding.value = false
    capturing.value = null
  }

  async function chooseHandover(handover: Handover): Promise<void> {
    const doorstep = useDoorstepStore()
    const order = doorstep.order
    if (!order) return
    const next = await run(() => bridge.chooseHandover({ orderId: order.orderId, handover }))
    if (next && doorstep.order?.orderId === next.orderId) doorstep.order = next
  }

  async function submitCode(): Promise<void> {
    const doorstep = useDoorstepStore()
    const order = doorstep.order
    if (!order || !/^\d{6}$/.test(code.value)) return
    const answer = await run(() => bridge.submitDeliveryCode({ orderId: order.orderId, code: code.value }))
    code.value = ''
    if (!answer) return
    lastTry.value = { ok: answer.ok, triesLeft: answer.triesLeft }
    if (doorstep.order?.orderId === answer.order.orderId) doorstep.order = answer.order
  }

  async function override(reason: OverrideReason, note: string | null): Promise<boolean> {
    const doorstep = useDoorstepStore()
    const order = doorstep.order
    if (!order) return false
    const next = await run(() => bridge.overrideProof({ orderId: order.orderId, reason, note }))
    if (!next) return false
    overriding.value = false
    if (doorstep.order?.orderId === next.orderId) doorstep.order = next
    return true
  }

  /** Which capture sheet is open: the camera or the signature pad. */
  const capturing = ref<EvidenceKind | null>(null)

  /** Hands a captured photo (JPEG) or signature (PNG and strokes) to the core, which stores it with its event. */
  async function captureEvidence(kind: EvidenceKind, data: string, strokes?: SignatureStrokes): Promise<boolean> {
    const doorstep = useDoorstepStore()
    const order = doorstep.order
    if (!order) return false
    const next = await run(() =>
      bridge.captureEvidence({
        orderId: order.orderId,
        kind,
        mime: kind === 'photo' ? 'image/jpeg' : 'image/png',
        data,
        ...(strokes ? { strokes } : {}),
      }),
    )
    if (!next) return false
    capturing.value = null
    if (doorstep.order?.orderId === next.orderId) doorstep.order = next
    return true
  }

  return {
    code,
    lastTry,
    error,
    busy,
    overriding,
    capturing,
    reset,
    chooseHandover,
    submitCode,
    override,
    captureEvidence,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useProofStore, import.meta.hot))
