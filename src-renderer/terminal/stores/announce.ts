import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { PaymentUpdate } from '../../../shared/ipc/contract'
import { announcementText, type Announcement, type VoiceLocale } from '../../../shared/voice'
import { bridge } from '../../bridge'
import { i18n } from '../i18n'
import { speak } from '../sound/voice'
import { useAppStore } from './app'
import { useDoorstepStore } from './doorstep'

/** Payments already spoken, kept across a reload of the page (the browser host replays recent events). */
const SPOKEN_KEY = 'tuotou.spokenPayments'
const SPOKEN_KEPT = 200

function spokenBefore(): string[] {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SPOKEN_KEY) ?? '[]') as unknown
    return Array.isArray(stored) ? stored.filter((id): id is string => typeof id === 'string') : []
  } catch {
    return []
  }
}

/**
 * The spoken payment confirmation (收款播报): every payment the acquirer confirmed (pushed, polled, or a verified
 * receipt) is said once, in the terminal's language, with the waybill's last four digits when it is not the order
 * on screen. A duplicate push, poll or receipt of the same payment is never said again.
 */
export const useAnnounceStore = defineStore('announce', () => {
  const app = useAppStore()
  const doorstep = useDoorstepStore()
  /** The last thing said, as text, for tests (`payment-announcement`). */
  const last = ref<{ intentId: string; text: string } | null>(null)
  /** How many payments this page has said. */
  const count = ref(0)
  const spoken = new Set(spokenBefore())

  function remember(intentId: string): void {
    spoken.add(intentId)
    const kept = [...spoken].slice(-SPOKEN_KEPT)
    try {
      sessionStorage.setItem(SPOKEN_KEY, JSON.stringify(kept))
    } catch {
      // Storage full or off: this page still says each payment once.
    }
  }

  function onPayment(update: PaymentUpdate): void {
    const payment = update.payment
    if (payment.status !== 'paid' || (payment.confirmation !== 'acquirer' && payment.confirmation !== 'receipt')) return
    if (spoken.has(payment.intentId)) return
    remember(payment.intentId)
    const locale: VoiceLocale = i18n.global.locale.value
    const onScreen = doorstep.order?.orderId === update.orderId
    const announcement: Announcement = {
      amountFen: payment.paidFen ?? payment.amountFen,
      waybillTail: onScreen ? null : payment.waybill.slice(-4),
    }
    last.value = { intentId: payment.intentId, text: announcementText(locale, announcement) }
    count.value++
    if (app.settings?.announcePayments !== false) void speak(locale, announcement, payment.intentId)
  }

  function subscribe(): () => void {
    return bridge.onPaymentUpdated(onPayment)
  }

  return { last, count, subscribe }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useAnnounceStore, import.meta.hot))
