/**
 * @module
 * `zot serve [CONFIG]`: load and check the configuration, assemble the registry, listen, and
 * handle signals: SIGTERM/SIGINT cancel background work, drain and exit 0 (lib/server/shutdown);
 * SIGHUP re-reads the configuration and applies what can change without a restart (zot shuts
 * down on SIGHUP; systemd's ExecReload expects a reload), one reload at a time.
 */
import type { Command } from 'commander'
import {
  ConfigError,
  defaultConfig,
  formatFindingLine,
  loadConfigFile,
  plannedKeyWarnings,
  type Config,
  type ConfigFinding,
} from '../lib/config'
import { createLogger, type Logger, type LogLevel } from '../lib/log/logger'
import { buildApp, createRuntime, type Runtime } from '../lib/server/assemble'
import { softLimitFromEnvironment, startMemoryGovernor } from '../lib/server/memory-governor'
import { RELOADED_SETTINGS, restartOnlyChanges } from '../lib/server/reload-scope'
import { listen, type RunningServer } from '../lib/server/server'
import { stopOnSignals } from '../lib/server/shutdown'
import { watchTls, type TlsWatch } from '../lib/server/tls-watch'
import { COMMIT, VERSION } from '../lib/version'
import { loadConfigOrExplain } from './load-config'

/** zot's level names onto the logger's four. */
const logLevel = (level: Config['log']['level']): LogLevel => (level === 'fatal' ? 'error' : level)

async function readConfig(path: string | undefined): Promise<{ config: Config; warnings: ConfigFinding[] }> {
  return path ? loadConfigFile(path) : { config: defaultConfig(), warnings: [] }
}

const mebibytes = (bytes: number): number => Math.round(bytes / 1048576)

/** The idle timeout Bun enforces: zot's read/write timeouts, never cutting a moving transfer. */
function idleSeconds(config: Config): number {
  const longest = Math.max(config.http.readTimeout, config.http.writeTimeout)
  return longest <= 0 ? 0 : Math.ceil(longest / 1000)
}

/** The loader's warnings and the planned keys in use, worded as `verify-config` words them. */
function reportConfig(logger: Logger, config: Config, warnings: ConfigFinding[]): void {
  for (const warning of [...warnings, ...plannedKeyWarnings(config)])
    logger.warn(formatFindingLine(warning), { key: warning.path })
}

/** Adds `serve` to the program. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the registry (with no CONFIG: local storage under ./data on 127.0.0.1:5000)')
    .argument('[config]', 'zot configuration file (JSON, YAML or TOML)')
    .action(async (config?: string) => {
      process.exitCode = await serveCommand(config)
    })
}

/** Serves until a stop signal; resolves to the exit code. */
export async function serveCommand(configPath: string | undefined): Promise<number> {
  const loaded = configPath ? await loadConfigOrExplain(configPath, 'serve') : { config: defaultConfig(), warnings: [] }
  if (!loaded) return 1
  const { config } = loaded
  let softLimitBytes: number
  try {
    softLimitBytes = softLimitFromEnvironment()
  } catch (error) {
    console.error(`zot: ${(error as Error).message}`)
    return 1
  }
  let logger: Logger
  try {
    logger = createLogger({
      level: logLevel(config.log.level),
      ...(config.log.output && { output: config.log.output }),
    })
  } catch (error) {
    console.error(
      `zot: log.output ${config.log.output}: ${(error as Error).message}; fix: create its directory and make it writable by the user zot runs as, or remove log.output to log to stdout`,
    )
    return 1
  }
  reportConfig(logger, config, loaded.warnings)

  // Aborted at SIGTERM/SIGINT: every background job stops at once.
  const background = new AbortController()
  let runtime: Runtime
  let app: Awaited<ReturnType<typeof buildApp>>
  try {
    runtime = await createRuntime(config, logger, background.signal)
    app = await buildApp(config, runtime, logger)
  } catch (error) {
    logger.error('cannot start', { error: (error as Error).message })
    console.error(`zot: ${(error as Error).message}`)
    return 1
  }
  const { address, port } = config.http
  const { cert, key, cacert } = config.http.tls ?? {}
  const tls = cert && key ? { cert, key, ...(cacert && { cacert }) } : undefined
  let server: RunningServer
  try {
    server = await listen(app, { address, port, idleTimeoutSeconds: idleSeconds(config), ...(tls && { tls }) })
  } catch (error) {
    logger.error('cannot listen', { address, port, error: (error as Error).message })
    console.error(`zot: cannot listen on ${address}:${port}: ${(error as Error).message}`)
    return 1
  }
  const governor = startMemoryGovernor({
    softLimitBytes,
    onCollection: ({ beforeBytes, afterBytes, milliseconds, limitBytes }) =>
      logger.debug('RSS over the soft memory limit: forced a full garbage collection', {
        rssBeforeMiB: mebibytes(beforeBytes),
        rssAfterMiB: mebibytes(afterBytes),
        ms: Math.round(milliseconds),
        limitMiB: mebibytes(limitBytes),
      }),
  })
  logger.info('serving', {
    url: server.url,
    rootDirectory: config.storage.rootDirectory,
    version: VERSION,
    commit: COMMIT,
    memoryLimitMiB: softLimitBytes > 0 ? mebibytes(softLimitBytes) : 'off',
  })

  const tlsWatch: TlsWatch | undefined =
    tls &&
    (await watchTls(tls, () =>
      server.reloadTls(tls).then(
        () => logger.info('TLS certificate reloaded', { cert: tls.cert }),
        (error: unknown) =>
          logger.error('new TLS certificate unusable; keeping the current one', {
            cert: tls.cert,
            error: (error as Error).message,
          }),
      ),
    ))

  background.signal.addEventListener('abort', () => {
    tlsWatch?.stop()
    governor.stop()
  })

  // Reloads run one after another, so one restart of sync and maintenance ends before the next.
  let reloading = Promise.resolve()
  process.on('SIGHUP', () => {
    if (background.signal.aborted) return logger.info('SIGHUP ignored: shutting down')
    void tlsWatch?.check()
    if (!configPath) return logger.info('SIGHUP ignored: serving the embedded default configuration')
    reloading = reloading.then(() => reload(configPath))
  })
  const reload = (path: string): Promise<void> =>
    readConfig(path)
      .then(async ({ config: next, warnings }) => {
        reportConfig(logger, next, warnings)
        await runtime.reconfigure(next)
        server.replaceApp(await buildApp(next, runtime, logger))
        // Said before applying: a reload that raises the level would otherwise hide its own report.
        logger.info('configuration reloaded', { file: path, applied: RELOADED_SETTINGS })
        const notApplied = restartOnlyChanges(config, next)
        if (notApplied.length > 0) {
          logger.warn('configuration reload: these settings need a restart; the old values stay in force', {
            settings: notApplied,
          })
        }
        logger.level = logLevel(next.log.level)
      })
      .catch((error: unknown) => {
        const findings =
          error instanceof ConfigError ? error.findings.map(formatFindingLine) : [(error as Error).message]
        logger.error('configuration reload failed; keeping the running configuration', { file: path, findings })
      })

  return stopOnSignals({
    server,
    logger,
    background,
    close: async () => {
      await reloading
      await runtime.close()
    },
  })
}
