import { describe, expect, it } from 'vitest'
import { createSseParser } from './sse'

describe('SSE parser', () => {
  it('reads named events with ids, skipping comments', () => {
    const parser = createSseParser()
    const messages = parser.push(': keep-alive\n\nretry: 1000\n\nid: 7\nevent: payment\ndata: {"a":1}\n\n')
    expect(messages).toEqual([{ id: '7', event: 'payment', data: '{"a":1}' }])
  })

  it('joins events split across chunks anywhere, including CRLF line ends', () => {
    const parser = createSseParser()
    const text = 'id: 1\r\nevent: manifest\r\ndata: {"x":\r\ndata: 2}\r\n\r\nid: 2\r\nevent: flag\r\ndata: {}\r\n\r\n'
    const messages = [...text].flatMap((char) => parser.push(char))
    expect(messages).toEqual([
      { id: '1', event: 'manifest', data: '{"x":\n2}' },
      { id: '2', event: 'flag', data: '{}' },
    ])
  })

  it('keeps the last id for an event that does not repeat it, and defaults the name', () => {
    const parser = createSseParser()
    expect(parser.push('id: 9\ndata: a\n\ndata: b\n\n')).toEqual([
      { id: '9', event: 'message', data: 'a' },
      { id: '9', event: 'message', data: 'b' },
    ])
  })

  it('holds an unfinished event until its blank line arrives', () => {
    const parser = createSseParser()
    expect(parser.push('event: payment\ndata: {}\n')).toEqual([])
    expect(parser.push('\n')).toHaveLength(1)
  })

  it('hands comments to onComment when asked', () => {
    const comments: string[] = []
    const parser = createSseParser((text) => comments.push(text))
    expect(parser.push(': keep-alive\n\nevent: a\ndata: 1\n\n:  second \n')).toEqual([
      { id: null, event: 'a', data: '1' },
    ])
    expect(comments).toEqual(['keep-alive', 'second'])
  })
})
