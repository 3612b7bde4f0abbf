/**
 * The SMS gateway that sends recipients their delivery code. A real gateway's client implements this; the
 * sandbox one keeps what it "sent" for its page.
 */
export interface SmsProvider {
  readonly name: string
  send(message: { to: string; text: string; orderId: string; waybill: string }): Promise<void>
}

export interface SandboxSmsMessage {
  to: string
  text: string
  orderId: string
  waybill: string
  sentAt: string
}

/** The sandbox gateway: the newest 2,000 messages, in memory, for `/sandbox/sms/`. Nothing is sent. */
export function sandboxSms(now: () => number): SmsProvider & { messages(): readonly SandboxSmsMessage[] } {
  const sent: SandboxSmsMessage[] = []
  return {
    name: 'sandbox',
    send(message) {
      sent.push({ ...message, sentAt: new Date(now()).toISOString() })
      if (sent.length > 2_000) sent.splice(0, sent.length - 2_000)
      return Promise.resolve()
    },
    messages: () => sent,
  }
}
