/** @module The configuration of one event sink, as the schema decodes it. */
import type { ExtensionsConfig } from '../config'

export type EventsConfig = NonNullable<ExtensionsConfig['events']>
export type SinkConfig = EventsConfig['sinks'][number]
