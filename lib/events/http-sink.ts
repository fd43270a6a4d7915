/**
 * @module
 * zot's `http` event sink: each event POSTed to `address` in CloudEvents' binary HTTP mode
 * (`ce-*` headers, the data as the JSON body), with the configured headers, Basic or bearer
 * credentials, client TLS and proxy. 2xx is delivered; 408, 429, 5xx and network errors are
 * retried; other answers are refusals not worth repeating.
 */
import { SinkError, type Sink } from './delivery-queue'
import type { CloudEvent } from './cloud-event'
import type { SinkConfig } from './sink-config'

export function httpSink(config: SinkConfig): Sink {
  const headers: Record<string, string> = { ...config.headers }
  const { credentials } = config
  if (credentials?.username) {
    headers.Authorization = `Basic ${btoa(`${credentials.username}:${credentials.password ?? ''}`)}`
  } else if (credentials?.token) {
    headers.Authorization = `Bearer ${credentials.token}`
  }
  const tls = config.tlsconfig && {
    ...(config.tlsconfig.cacertfile && { ca: Bun.file(config.tlsconfig.cacertfile) }),
    ...(config.tlsconfig.certfile && { cert: Bun.file(config.tlsconfig.certfile) }),
    ...(config.tlsconfig.keyfile && { key: Bun.file(config.tlsconfig.keyfile) }),
  }
  return {
    name: `http:${config.address}`,
    async send(event: CloudEvent, signal: AbortSignal) {
      let response: Response
      try {
        response = await fetch(config.address, {
          method: 'POST',
          headers: { ...headers, ...binaryHeaders(event), 'Content-Type': event.datacontenttype },
          body: JSON.stringify(event.data),
          signal,
          ...(tls && { tls }),
          ...(config.proxy && { proxy: config.proxy }),
        })
      } catch (error) {
        throw new SinkError(`POST ${config.address}: ${(error as Error).message}`, true)
      }
      await response.body?.cancel()
      if (response.ok) return
      const { status } = response
      throw new SinkError(`POST ${config.address}: ${status}`, status === 408 || status === 429 || status >= 500)
    },
    close: async () => undefined,
  }
}

function binaryHeaders(event: CloudEvent): Record<string, string> {
  return {
    'ce-specversion': event.specversion,
    'ce-id': event.id,
    'ce-source': event.source,
    'ce-type': event.type,
    'ce-time': event.time,
    ...(event.channel && { 'ce-channel': event.channel }),
  }
}
