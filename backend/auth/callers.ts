import {
  ACQUIRER_SIGNATURE_HEADER,
  ACQUIRER_TIMESTAMP_HEADER,
  WEBHOOK_TOLERANCE_SECONDS,
} from '../../shared/api/acquirer'
import { checkNotificationSignature } from '../acquirer/signature'
import type { BackendContext } from '../context'
import { authenticateSupervisor } from '../depot/auth'
import { authenticateDevice } from '../devices/auth'
import { unauthorized, unavailable } from '../http/errors'
import type { Authenticators } from '../http/routes'
import { authenticateShift } from '../shifts/auth'

const header = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined

/**
 * How the backend's routes authenticate their callers: device, shift and supervisor tokens from the
 * Authorization header, and the acquirer's signature over a notification's raw body (checked in constant
 * time before its timestamp, so an unsigned caller learns nothing about our clock).
 */
export function backendAuthenticators(context: BackendContext): Authenticators {
  return {
    device: { reads: 'headers', authenticate: (request) => authenticateDevice(context, request) },
    shift: { reads: 'headers', authenticate: (request) => authenticateShift(context, request) },
    supervisor: { reads: 'headers', authenticate: (request) => authenticateSupervisor(context, request) },
    acquirer_signature: {
      reads: 'body',
      authenticate(request) {
        if (context.webhookSecret === null) throw unavailable('acquirer.not_configured', 'no acquirer is configured')
        const signature = header(request.headers[ACQUIRER_SIGNATURE_HEADER])
        const check = checkNotificationSignature({
          secret: context.webhookSecret,
          timestampHeader: header(request.headers[ACQUIRER_TIMESTAMP_HEADER]),
          signatureHeader: signature,
          rawBody: request.rawBody ?? '',
          nowMs: context.now(),
          toleranceSeconds: WEBHOOK_TOLERANCE_SECONDS,
        })
        if (!check.ok) throw unauthorized(check.code, check.message)
        return { signature: signature!, timestampSeconds: check.timestampSeconds }
      },
    },
  }
}
