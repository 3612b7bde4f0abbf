/** One server-sent event: its `id:` (the stream cursor), its `event:` name and its data lines joined. */
export interface SseMessage {
  id: string | null
  event: string
  data: string
}

/**
 * An incremental reader of `text/event-stream`: feed it chunks as they arrive (split anywhere, even inside a
 * line) and it returns the complete events. Comments (`: keep-alive`) go to `onComment` if given; `retry:` lines
 * are skipped.
 */
export function createSseParser(onComment?: (text: string) => void): { push(chunk: string): SseMessage[] } {
  let buffer = ''
  let id: string | null = null
  let event = ''
  let data: string[] = []
  return {
    push(chunk) {
      buffer += chunk
      const messages: SseMessage[] = []
      let newline: number
      while ((newline = buffer.search(/\r\n|\n|\r/)) !== -1) {
        // A CR at the very end may be the first half of a CRLF split across chunks: wait for the next one.
        if (buffer[newline] === '\r' && newline === buffer.length - 1) break
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1))
        if (line === '') {
          if (data.length > 0) messages.push({ id, event: event || 'message', data: data.join('\n') })
          event = ''
          data = []
          continue
        }
        if (line.startsWith(':')) {
          onComment?.(line.slice(1).trim())
          continue
        }
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        let value = colon === -1 ? '' : line.slice(colon + 1)
        if (value.startsWith(' ')) value = value.slice(1)
        if (field === 'data') data.push(value)
        else if (field === 'event') event = value
        else if (field === 'id' && !value.includes('\0')) id = value
      }
      return messages
    },
  }
}
