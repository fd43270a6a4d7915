/**
 * @module
 * Reading mistakes: unknown keys (with advice), types, allowed values, required keys.
 */
import { describeRuleCases, type RuleCase, tlsFiles, R0, registry } from './rule-cases'

const CASES: RuleCase[] = [
  {
    title: 'misspelled section',
    patch: { storge: {} },
    path: 'storge',
    message: 'did you mean `storage`?',
  },
  {
    title: 'abbreviated key',
    patch: { storage: { rootDir: '/x' } },
    path: 'storage.rootDir',
    message: 'did you mean `rootDirectory`?',
  },
  {
    title: 'key in the wrong section',
    patch: { storage: { accessControl: {} } },
    path: 'storage.accessControl',
    message: 'belongs at `http.accessControl`',
  },
  {
    title: 'pre-2.0 access-control layout',
    patch: { http: { accessControl: { '**': { anonymousPolicy: ['read'] } } } },
    path: 'http.accessControl.**',
    message: 'go under `http.accessControl.repositories`',
  },
  {
    title: 'log file under a wrong name',
    patch: { log: { file: '/var/log/zot.log' } },
    path: 'log.file',
    message: 'set with `output`',
  },
  {
    title: 'missing rootDirectory',
    patch: { storage: { rootDirectory: undefined, dedupe: false } },
    path: 'storage.rootDirectory',
    message: 'required key is missing',
  },
  {
    title: 'port out of range',
    patch: { http: { port: 70000 } },
    path: 'http.port',
    message: 'from 0 to 65535',
  },
  {
    title: 'port not a number',
    patch: { http: { port: 'http' } },
    path: 'http.port',
    message: 'from 0 to 65535',
  },
  {
    title: 'unknown log level',
    patch: { log: { level: 'verbose' } },
    path: 'log.level',
    message: 'not one of "debug", "info"',
  },
  {
    title: 'duration without unit',
    patch: { storage: { gcDelay: 3600 } },
    path: 'storage.gcDelay',
    message: 'zot would read it as nanoseconds',
    fix: '"3600s"',
  },
  {
    title: 'duration in words',
    patch: { storage: { gcDelay: '1 hour' } },
    path: 'storage.gcDelay',
    message: 'expected a Go duration',
  },
  {
    title: 'bool as yes',
    patch: { storage: { dedupe: 'yes' } },
    path: 'storage.dedupe',
    message: 'expected true or false',
  },
  {
    title: 'misspelled compat mode',
    patch: { http: { compat: ['docker2s3'] } },
    path: 'http.compat[0]',
    message: 'not one of "docker2s2"',
    fix: 'did you mean "docker2s2"?',
  },
  {
    title: 'a string where an object belongs',
    patch: { http: { tls: 'on' } },
    path: 'http.tls',
    message: 'expected an object, found the string "on"',
  },
  {
    title: 'same key in two spellings',
    patch: { storage: { rootdirectory: '/y' } },
    path: 'storage.rootdirectory',
    message: '`rootDirectory` and `rootdirectory` are the same key',
  },
  {
    title: 'negative count',
    patch: { storage: { maxRepos: -1 } },
    path: 'storage.maxRepos',
    message: 'must be at least 0',
  },
  {
    title: 'unknown mTLS identity attribute',
    patch: (f) => ({
      http: { tls: tlsFiles(f), auth: { mtls: { identityAttributes: ['Nickname'] } } },
    }),
    path: 'http.auth.mtls.identityAttributes[0]',
    message: 'not one of "CommonName"',
  },
  {
    title: 'unknown action',
    patch: { http: { accessControl: { repositories: { '**': { anonymousPolicy: ['pull'] } } } } },
    path: 'http.accessControl.repositories["**"].anonymousPolicy[0]',
    message: 'not one of "read"',
  },
  {
    title: 'inline sync credentials',
    patch: registry({ credentials: { username: 'u', password: 'p' } }),
    path: `${R0}.credentials`,
    message: 'zot has no inline `credentials`',
    fix: '{"ghcr.io": {"username"',
  },
]

describeRuleCases('reading', CASES)
