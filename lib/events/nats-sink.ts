/**
 * @module
 * zot's `nats` event sink: each event published to the subject `channel` on the server at
 * `address` as a structured CloudEvent (its JSON form), as zot's CloudEvents NATS sender does,
 * then flushed so delivery to the server is confirmed. Credentials: a `.creds` file or user and
 * password; client TLS from `tlsconfig`. The connection is made on first use and remade after
 * a failure, so a server that is down at start only delays events.
 */
import { readFile } from 'node:fs/promises'
import type { NatsConnection } from '@nats-io/transport-node'
import { DEFAULT_SOURCE, type CloudEvent } from './cloud-event'
import { SinkError, type Sink } from './delivery-queue'
import type { SinkConfig } from './sink-config'

export function natsSink(config: SinkConfig): Sink {
  const subject = config.channel
  if (!subject) throw new Error('a nats event sink needs a channel (the subject to publish to)')
  let connection: Promise<NatsConnection> | undefined
  const connected = (): Promise<NatsConnection> => {
    connection ??= open(config).catch((error: unknown) => {
      connection = undefined
      throw error
    })
    return connection
  }
  return {
    name: `nats:${config.address}/${subject}`,
    async send(event: CloudEvent, signal: AbortSignal) {
      try {
        const nc = await connected()
        nc.publish(subject, JSON.stringify(event))
        await Promise.race([nc.flush(), aborted(signal)])
      } catch (error) {
        const stale = connection
        connection = undefined
        await stale?.then((nc) => nc.close()).catch(() => undefined)
        throw new SinkError(`publish to ${config.address} ${subject}: ${(error as Error).message}`, true)
      }
    },
    async close() {
      await connection?.then((nc) => nc.drain()).catch(() => undefined)
    },
  }
}

async function open(config: SinkConfig): Promise<NatsConnection> {
  const { credentials, tlsconfig } = config
  // Imported at the first connection, not at start: a registry without a nats sink never loads
  // the client (tests/server/lazy-modules.test.ts).
  const { connect, credsAuthenticator } = await import('@nats-io/transport-node')
  return connect({
    servers: config.address,
    name: DEFAULT_SOURCE,
    timeout: config.timeout,
    // One attempt per delivery: the queue's retries and backoff decide when to try again.
    reconnect: false,
    ...(credentials?.file
      ? { authenticator: credsAuthenticator(await readFile(credentials.file)) }
      : credentials?.username && { user: credentials.username, pass: credentials.password ?? '' }),
    ...(tlsconfig && {
      tls: {
        ...(tlsconfig.cacertfile && { caFile: tlsconfig.cacertfile }),
        ...(tlsconfig.certfile && { certFile: tlsconfig.certfile }),
        ...(tlsconfig.keyfile && { keyFile: tlsconfig.keyfile }),
      },
    }),
  })
}

const aborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => {
    if (signal.aborted) reject(new Error('timed out'))
    signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true })
  })
