import { createHash, randomBytes } from 'node:crypto'
import type { TelephonyProvider } from './provider'

/**
 * A stand-in for the virtual-number service: a number from a pool of 170-prefixed lines and a four-digit
 * extension per binding, as such services hand them out. It logs each binding; nothing is dialled.
 */
export function sandboxTelephony(log: { info(obj: object, message: string): void }): TelephonyProvider {
  return {
    name: 'sandbox',
    bind({ orderId, untilMs }) {
      const bindingId = `bnd_${randomBytes(8).toString('hex')}`
      const line = createHash('sha256').update(orderId).digest().readUInt32BE(0) % 10_000
      const number = `+86 170 0000 ${String(line).padStart(4, '0')}`
      const extension = String(1000 + (randomBytes(2).readUInt16BE(0) % 9000))
      log.info({ event: 'telephony.bound', bindingId, orderId, number, untilMs }, 'sandbox virtual number bound')
      return Promise.resolve({ bindingId, number, extension })
    },
  }
}
