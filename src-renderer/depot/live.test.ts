import { afterEach, describe, expect, it, vi } from 'vitest'
import { followDashboard, type LiveState } from './live'

/** A fetch answer whose body is the given SSE chunks, then (unless `hold`) the end of the stream. */
function streamAnswer(chunks: string[], options: { status?: number; hold?: boolean } = {}): Response {
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
      if (!options.hold) controller.close()
    },
  })
  return new Response(body, { status: options.status ?? 200, headers: { 'content-type': 'text/event-stream' } })
}

const changed = (seq: number) =>
  `id: ${seq}\nevent: changed\ndata: {"depotId":"dep_SZXC0001","at":"2026-03-02T03:00:0${seq}.000Z","seq":${seq}}\n\n`

describe('following the dashboard stream', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('sends the token in a header, reports each change (even split across chunks), and reconnects after a loss', async () => {
    vi.useFakeTimers()
    const calls: RequestInit[] = []
    const answers = [
      streamAnswer([': hello\n\n', changed(1).slice(0, 20), changed(1).slice(20), changed(2) + ': keep-alive\n\n']),
      streamAnswer([changed(3)], { hold: true }),
    ]
    vi.stubGlobal(
      'fetch',
      vi.fn((_url: string, init: RequestInit) => {
        calls.push(init)
        return Promise.resolve(answers.shift()!)
      }),
    )
    const seen: number[] = []
    const states: LiveState[] = []
    const stop = followDashboard('tsp_token', {
      changed: (message) => seen.push(message.seq),
      state: (state) => states.push(state),
      unauthorized: () => seen.push(-1),
    })
    await vi.waitFor(() => expect(seen).toEqual([1, 2]))
    await vi.waitFor(() => expect(states.at(-1)).toBe('offline'))
    // The stream ended: after a second it connects again and carries on.
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => expect(seen).toEqual([1, 2, 3]))
    expect(states).toEqual(['connecting', 'live', 'offline', 'connecting', 'live'])
    expect(calls.map((init) => (init.headers as Record<string, string>).authorization)).toEqual([
      'Bearer tsp_token',
      'Bearer tsp_token',
    ])
    stop()
    expect((calls[1]!.signal as AbortSignal).aborted).toBe(true)
  })

  it('gives up at once on a refused token, and ignores what is not a change', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(new Response('{"error":{"code":"auth.expired"}}', { status: 401 }))),
    )
    let unauthorized = 0
    const seen: number[] = []
    const stop = followDashboard('tsp_token', {
      changed: (message) => seen.push(message.seq),
      state: () => undefined,
      unauthorized: () => unauthorized++,
    })
    await vi.waitFor(() => expect(unauthorized).toBe(1))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(vi.mocked(fetch)).toHaveBeenCalledTimes(1)
    stop()

    vi.stubGlobal(
      'fetch',
      vi.fn(() =>
        Promise.resolve(
          streamAnswer(['event: changed\ndata: {"not":"a change"}\n\n', 'event: other\ndata: {}\n\n', changed(4)], {
            hold: true,
          }),
        ),
      ),
    )
    const again = followDashboard('tsp_token', {
      changed: (message) => seen.push(message.seq),
      state: () => undefined,
      unauthorized: () => unauthorized++,
    })
    await vi.waitFor(() => expect(seen).toEqual([4]))
    again()
  })
})
