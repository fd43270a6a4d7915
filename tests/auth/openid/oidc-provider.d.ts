/**
 * @module
 * The little of `oidc-provider` (which ships no types) the tests use.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  interface Account {
    accountId: string
    claims(): Promise<Record<string, unknown>>
  }

  interface Configuration {
    clients?: Record<string, unknown>[]
    findAccount?: (ctx: unknown, id: string) => Promise<Account | undefined>
    claims?: Record<string, string[]>
    scopes?: string[]
    features?: Record<string, { enabled: boolean }>
    pkce?: { required?: () => boolean }
    cookies?: { keys?: string[] }
    clockTolerance?: number
    ttl?: Record<string, number>
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration)
    callback(): (request: IncomingMessage, response: ServerResponse) => void
    /** Access tokens of the client_credentials grant, by value. */
    ClientCredentials: { find(value: string): Promise<{ clientId: string; scope?: string } | undefined> }
  }
}
