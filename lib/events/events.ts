/**
 * @module
 * zot's events extension (`extensions.events`): registry changes become CloudEvents delivered to
 * every configured sink (http, nats) through one bounded outbox per sink (delivery-queue.ts), so
 * a slow or dead sink never slows a push. `image.updated` is sent per tag (or per digest for a
 * push by digest) with the manifest, as zot does; the manifest is read after the push, off the
 * request's path. Delivery counts are exported as metrics.
 */
import type { RefusedManifest } from '../lint/mandatory-annotations'
import type { Logger } from '../log/logger'
import type { MetricFamily } from '../maintenance/reports/metrics'
import type { Descriptor } from '../oci/manifest'
import type { Registry } from '../registry/registry'
import { cloudEvent, DEFAULT_SOURCE, DEFAULT_TYPE_PREFIX, type EventKind } from './cloud-event'
import { DEFAULT_DELIVERY, DeliveryQueue, type Sink } from './delivery-queue'
import { currentEventContext, type EventContext } from './event-context'
import { httpSink } from './http-sink'
import { natsSink } from './nats-sink'
import type { EventsConfig, SinkConfig } from './sink-config'

export interface Events {
  /** zot's `image.lint_failed`: the lint extension refused a push. */
  lintFailed(refused: RefusedManifest): void
  /** Delivered, failed and dropped events per sink. */
  metrics(): MetricFamily[]
  /** Unsubscribes, gives queued events until `signal` aborts, closes the sinks. */
  stop(signal?: AbortSignal): Promise<void>
}

const NO_EVENTS: Events = { lintFailed() {}, metrics: () => [], stop: async () => undefined }

export interface EventsOptions {
  config: EventsConfig | undefined
  registry: Registry
  logger: Logger
}

const decoder = new TextDecoder()

export function startEvents({ config, registry, logger }: EventsOptions): Events {
  if (!config?.enable || config.sinks.length === 0) return NO_EVENTS
  const queues = config.sinks.map((sink) => ({
    queue: new DeliveryQueue(sinkFor(sink), { ...DEFAULT_DELIVERY, timeoutMs: sink.timeout }, logger),
    naming: {
      source: sink.source ?? config.source ?? DEFAULT_SOURCE,
      typePrefix: sink.typePrefix ?? config.typePrefix ?? DEFAULT_TYPE_PREFIX,
    },
    channel: sink.channel,
  }))
  const publish = (kind: EventKind, data: Record<string, unknown>, context: EventContext | undefined): void => {
    for (const { queue, naming, channel } of queues) {
      const event = cloudEvent(naming, kind, data, context)
      queue.enqueue(channel ? { ...event, channel } : event)
    }
  }
  // The manifest of an update is read after the push; a chain keeps events in the order of the
  // changes that caused them. Bounded like the outboxes: storage that stops answering must not
  // grow this chain forever.
  let chain = Promise.resolve()
  let preparing = 0
  const inOrder = (work: () => Promise<void>): void => {
    if (preparing >= DEFAULT_DELIVERY.capacity) {
      for (const { queue } of queues) queue.drop()
      return
    }
    preparing++
    chain = chain
      .then(work)
      .catch((error: unknown) => logger.warn('event not sent', { error }))
      .finally(() => {
        preparing--
      })
  }
  /** An event whose data is known now, queued behind the ones before it with the caller's context. */
  const announce = (kind: EventKind, data: Record<string, unknown>): void => {
    const context = currentEventContext()
    inOrder(async () => publish(kind, data, context))
  }
  const updated = (repository: string, digest: string, references: string[]): void => {
    const context = currentEventContext()
    inOrder(async () => {
      const descriptor = await registry.resolveManifest(repository, digest)
      const body = await registry.openManifest(repository, descriptor)
      const manifest = body instanceof Uint8Array ? decoder.decode(body) : await new Response(body).text()
      for (const reference of references) {
        publish('image.updated', { name: repository, reference, ...described(descriptor), manifest }, context)
      }
    })
  }
  const unsubscribe = registry.events.subscribe({
    repositoryCreated: (repository) => announce('repository.created', { name: repository }),
    manifestPushed: (repository, digest, tags) => updated(repository, digest, tags.length > 0 ? tags : [digest]),
    manifestDeleted: (repository, reference, descriptor) =>
      announce('image.deleted', { name: repository, reference, ...described(descriptor) }),
  })
  return {
    lintFailed: ({ repository, reference, digest, mediaType, body }) =>
      announce('image.lint_failed', { name: repository, reference, digest, mediaType, manifest: decoder.decode(body) }),
    metrics: () => deliveryMetrics(queues.map(({ queue }) => queue)),
    async stop(signal = AbortSignal.timeout(0)) {
      unsubscribe()
      await chain
      await Promise.all(queues.map(({ queue }) => queue.close(signal)))
    },
  }
}

const described = (descriptor: Descriptor) => ({ digest: descriptor.digest, mediaType: descriptor.mediaType })

function sinkFor(config: SinkConfig): Sink {
  return config.type === 'nats' ? natsSink(config) : httpSink(config)
}

function deliveryMetrics(queues: DeliveryQueue[]): MetricFamily[] {
  const family = (name: string, help: string, value: (queue: DeliveryQueue) => number): MetricFamily => ({
    name,
    type: 'counter',
    help,
    samples: queues.map((queue) => ({ labels: { sink: queue.sink.name }, value: value(queue) })),
  })
  return [
    family('zot_events_delivered_total', 'Events a sink accepted', (q) => q.stats.delivered),
    family('zot_events_failed_total', 'Events given up after their retries', (q) => q.stats.failed),
    family('zot_events_dropped_total', 'Events dropped because the sink was too far behind', (q) => q.stats.dropped),
    {
      name: 'zot_events_queued',
      type: 'gauge',
      help: 'Events waiting for their sink',
      samples: queues.map((queue) => ({ labels: { sink: queue.sink.name }, value: queue.stats.queued })),
    },
  ]
}
