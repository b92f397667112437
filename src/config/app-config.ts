import { DEFAULT_RETRY_SCHEDULE, parseDuration, parseRetrySchedule } from './duration';

export type ProcessRole = 'api' | 'worker' | 'all';

/** Every setting of api.md's Configuration table, parsed and validated once at boot. */
export interface AppConfig {
  nodeEnv: string;
  port: number;
  databaseUrl: string;
  redisUrl: string;
  /** Bull key prefix: lets tests and benchmarks share a Redis without touching each other. */
  queuePrefix: string;
  processRole: ProcessRole;
  webhookTimeoutMs: number;
  /** A worker holds a delivery this much longer than WEBHOOK_TIMEOUT_MS; then it counts as crashed (lower it in fault tests). */
  deliveryLeaseMarginMs: number;
  /**
   * On SIGTERM a worker stops taking jobs and lets the jobs and attempts in flight finish and be
   * logged for at most this long (default WEBHOOK_TIMEOUT_MS + 5 s); what is still running then is
   * abandoned to its lease (another worker sends it again).
   */
  workerShutdownGraceMs: number;
  webhookRetryScheduleMs: number[];
  webhookAllowPrivateNetwork: boolean;
  webhookDisableAfterMs: number;
  /** Failed attempts in a row after which `webhook.failing` is emitted (WEBHOOK_FAILING_AFTER). */
  webhookFailingAfter: number;
  /** At most one alert mail per webhook per this long (WEBHOOK_ALERT_MAIL_INTERVAL). */
  webhookAlertMailIntervalMs: number;
  webhookSecretOverlapMs: number;
  webhookLogRetentionMs: number;
  /** The bearer token GET /metrics requires; empty: /metrics is not served (404). */
  metricsToken: string;
  /** A separate /metrics listener's port (METRICS_PORT; 0: any free port); null: none. */
  metricsPort: number | null;
  /** Audit log entries older than this are deleted (AUDIT_LOG_RETENTION). */
  auditLogRetentionMs: number;
  /** Empty outside production when unset: the key then comes from webhookSecretKeyFile (generated on first start). */
  webhookSecretKey: string;
  /** Where development keeps its generated key (never used in production). */
  webhookSecretKeyFile: string;
  /** Retired keys, still used to decrypt (never to encrypt) until every row is re-encrypted. */
  webhookSecretKeyPrevious: string[];
  webhookMaxPerWorkspace: number;
  /** Delivery flow control (docs/delivery.md "Flow control"). */
  flow: FlowConfig;
  workerConcurrency: number;
  bodyLimit: string;
  /** Sign-up, login and the other /v1/auth routes take tiny bodies: anything larger is a 413. */
  authBodyLimit: string;
  /** Login and signup attempts per client address; null = unlimited. */
  authThrottlePerAddress: RateLimit | null;
  /** Failed logins (and signups) per e-mail address; null = unlimited. */
  authThrottlePerAccount: RateLimit | null;
  /** Browser origins allowed to call the API cross-origin; empty = none (same-origin only). */
  corsOrigins: string[];
  /** Express `trust proxy`: whose X-Forwarded-For / -Proto to believe (client address, HTTPS). */
  trustProxy: boolean | number | string[];
  logLevel: string;
  /** Where mail goes (`smtp://` or `smtps://`, credentials in the URL); null: mails are written to the log. */
  smtpUrl: string | null;
  /** The From header of every mail. */
  mailFrom: string;
  /** The console's public address: links in mails point here. No trailing slash. */
  publicUrl: string;
}

export interface FlowConfig {
  /** Keep-alive connections per receiver origin (WEBHOOK_CONNECTIONS_PER_ORIGIN). */
  connectionsPerOrigin: number;
  /** Attempts in flight per webhook unless the webhook sets maxConcurrency (WEBHOOK_MAX_CONCURRENCY). */
  defaultMaxConcurrency: number;
  /** Attempts in flight per workspace (WEBHOOK_WORKSPACE_MAX_IN_FLIGHT). */
  workspaceMaxInFlight: number;
  /** Attempts in flight per worker process, all workspaces together (WEBHOOK_WORKER_MAX_IN_FLIGHT). */
  workerMaxInFlight: number;
  /** Deliveries a workspace may have waiting in one worker's memory before the rest wait in PostgreSQL (WEBHOOK_WORKSPACE_MAX_QUEUED). */
  workspaceMaxQueued: number;
  /** Deliveries one webhook may have waiting in one worker's memory (WEBHOOK_MAX_QUEUED): a stuck endpoint cannot fill its workspace's room. */
  webhookMaxQueued: number;
  /** Consecutive failed attempts that open a webhook's circuit (WEBHOOK_CIRCUIT_FAILURES); 0 = no circuit breaker. */
  circuitFailures: number;
  /** First pause of an open circuit before a half-open probe; doubles per failed probe (WEBHOOK_CIRCUIT_COOLDOWN). */
  circuitCooldownMs: number;
  /** Longest pause between probes (WEBHOOK_CIRCUIT_MAX_COOLDOWN). */
  circuitMaxCooldownMs: number;
  /** Per webhook: POST …/test (WEBHOOK_TEST_THROTTLE), …/redeliver (WEBHOOK_REDELIVER_THROTTLE), …/recover (WEBHOOK_RECOVER_THROTTLE). */
  testThrottle: RateLimit | null;
  redeliverThrottle: RateLimit | null;
  recoverThrottle: RateLimit | null;
  /** Failed deliveries one recover call queues again at most (WEBHOOK_RECOVER_MAX). */
  recoverMax: number;
}

/** `points` requests per `durationMs`. */
export interface RateLimit {
  points: number;
  durationMs: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function parseWith<T>(env: Env, name: string, fallback: string, parse: (raw: string) => T, errors: string[]): T {
  const raw = read(env, name, fallback);
  try {
    return parse(raw);
  } catch (err) {
    errors.push(`${name}=${JSON.stringify(raw)}: ${(err as Error).message}`);
    return undefined as T;
  }
}

function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new Error('must be an integer');
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
    return n;
  };
}

function oneOf<T extends string>(...values: T[]) {
  return (raw: string): T => {
    if (!values.includes(raw as T)) throw new Error(`must be one of ${values.join(', ')}`);
    return raw as T;
  };
}

function url(...protocols: string[]) {
  return (raw: string): string => {
    const parsed = new URL(raw);
    if (!protocols.includes(parsed.protocol)) throw new Error(`must be a ${protocols.join(' or ')} URL`);
    return raw;
  };
}

function bool(raw: string): boolean {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error('must be true or false');
}

function positiveDuration(raw: string): number {
  const ms = parseDuration(raw);
  if (ms <= 0) throw new Error('must be a positive duration');
  return ms;
}

/** "20/1m" (20 per minute), or "off". */
export function parseRateLimit(raw: string): RateLimit | null {
  if (raw === 'off') return null;
  const match = /^(\d+)\s*\/\s*(\S+)$/.exec(raw.trim());
  if (!match) throw new Error('must be "<count>/<duration>" (e.g. "20/1m") or "off"');
  const points = Number(match[1]);
  if (points < 1 || points > 1_000_000) throw new Error('count must be between 1 and 1000000');
  const durationMs = positiveDuration(match[2]);
  if (durationMs < 1000) throw new Error('duration must be at least 1s');
  return { points, durationMs };
}

function list(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

function origins(raw: string): string[] {
  return list(raw).map((origin) => {
    const parsed = new URL(origin);
    if (!['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, '')) {
      throw new Error(`"${origin}" is not an origin (scheme://host[:port], no path)`);
    }
    return parsed.origin;
  });
}

function trustProxy(raw: string): boolean | number | string[] {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = list(raw);
  for (const entry of entries) {
    if (!/^(loopback|linklocal|uniquelocal|[\da-f:.]+(\/\d{1,3})?)$/i.test(entry)) throw new Error(`"${entry}" is not an address, subnet, loopback, linklocal or uniquelocal`);
  }
  return entries;
}

/** Parses the environment; throws one ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const errors: string[] = [];
  const nodeEnv = read(env, 'NODE_ENV', 'development');
  const config: AppConfig = {
    nodeEnv,
    port: parseWith(env, 'PORT', '3000', integer(0, 65535), errors),
    databaseUrl: parseWith(env, 'DATABASE_URL', 'postgres://postgres:postgres@localhost:5432/countercyclical', url('postgres:', 'postgresql:'), errors),
    redisUrl: parseWith(env, 'REDIS_URL', 'redis://localhost:6379', url('redis:', 'rediss:'), errors),
    queuePrefix: parseWith(env, 'QUEUE_PREFIX', 'cc', (raw) => {
      if (!/^[\w-]{1,64}$/.test(raw)) throw new Error('letters, digits, - and _ only');
      return raw;
    }, errors),
    processRole: parseWith(env, 'PROCESS_ROLE', 'all', oneOf<ProcessRole>('api', 'worker', 'all'), errors),
    webhookTimeoutMs: parseWith(env, 'WEBHOOK_TIMEOUT_MS', '10000', integer(100, 120_000), errors),
    // How long past the attempt timeout a crashed worker's delivery stays leased before another takes it.
    deliveryLeaseMarginMs: parseWith(env, 'DELIVERY_LEASE_MARGIN_MS', '30000', integer(1_000, 600_000), errors),
    workerShutdownGraceMs: 0,
    webhookRetryScheduleMs: parseWith(env, 'WEBHOOK_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE, parseRetrySchedule, errors),
    webhookAllowPrivateNetwork: parseWith(env, 'WEBHOOK_ALLOW_PRIVATE_NETWORK', 'false', bool, errors),
    webhookDisableAfterMs: parseWith(env, 'WEBHOOK_DISABLE_AFTER', '5d', positiveDuration, errors),
    webhookFailingAfter: parseWith(env, 'WEBHOOK_FAILING_AFTER', '4', integer(1, 1000), errors),
    webhookAlertMailIntervalMs: parseWith(env, 'WEBHOOK_ALERT_MAIL_INTERVAL', '1h', positiveDuration, errors),
    webhookSecretOverlapMs: parseWith(env, 'WEBHOOK_SECRET_OVERLAP', '24h', parseDuration, errors),
    webhookLogRetentionMs: parseWith(env, 'WEBHOOK_LOG_RETENTION', '30d', positiveDuration, errors),
    auditLogRetentionMs: parseWith(env, 'AUDIT_LOG_RETENTION', '365d', positiveDuration, errors),
    metricsPort: read(env, 'METRICS_PORT', '') === '' ? null : parseWith(env, 'METRICS_PORT', '', integer(0, 65535), errors),
    metricsToken: parseWith(env, 'METRICS_TOKEN', '', (raw) => {
      if (raw && raw.length < 16) throw new Error('must be at least 16 characters (or unset: no /metrics)');
      return raw;
    }, errors),
    webhookSecretKey: read(env, 'WEBHOOK_SECRET_KEY', ''),
    webhookSecretKeyFile: read(env, 'WEBHOOK_SECRET_KEY_FILE', '.data/secret.key'),
    webhookSecretKeyPrevious: list(read(env, 'WEBHOOK_SECRET_KEY_PREVIOUS', '')),
    webhookMaxPerWorkspace: parseWith(env, 'WEBHOOK_MAX_PER_WORKSPACE', '100', integer(1, 100_000), errors),
    flow: {
      connectionsPerOrigin: parseWith(env, 'WEBHOOK_CONNECTIONS_PER_ORIGIN', '256', integer(1, 4096), errors),
      defaultMaxConcurrency: parseWith(env, 'WEBHOOK_MAX_CONCURRENCY', '10', integer(1, 1000), errors),
      workspaceMaxInFlight: parseWith(env, 'WEBHOOK_WORKSPACE_MAX_IN_FLIGHT', '200', integer(1, 100_000), errors),
      workerMaxInFlight: parseWith(env, 'WEBHOOK_WORKER_MAX_IN_FLIGHT', '2000', integer(1, 100_000), errors),
      workspaceMaxQueued: parseWith(env, 'WEBHOOK_WORKSPACE_MAX_QUEUED', '2000', integer(1, 1_000_000), errors),
      webhookMaxQueued: parseWith(env, 'WEBHOOK_MAX_QUEUED', '250', integer(1, 1_000_000), errors),
      circuitFailures: parseWith(env, 'WEBHOOK_CIRCUIT_FAILURES', '5', integer(0, 1000), errors),
      circuitCooldownMs: parseWith(env, 'WEBHOOK_CIRCUIT_COOLDOWN', '5s', positiveDuration, errors),
      circuitMaxCooldownMs: parseWith(env, 'WEBHOOK_CIRCUIT_MAX_COOLDOWN', '5m', positiveDuration, errors),
      testThrottle: parseWith(env, 'WEBHOOK_TEST_THROTTLE', '10/1m', parseRateLimit, errors),
      redeliverThrottle: parseWith(env, 'WEBHOOK_REDELIVER_THROTTLE', '60/1m', parseRateLimit, errors),
      recoverThrottle: parseWith(env, 'WEBHOOK_RECOVER_THROTTLE', '10/1m', parseRateLimit, errors),
      recoverMax: parseWith(env, 'WEBHOOK_RECOVER_MAX', '1000', integer(1, 100_000), errors),
    },
    workerConcurrency: parseWith(env, 'WORKER_CONCURRENCY', '50', integer(1, 1000), errors),
    bodyLimit: '1mb',
    authBodyLimit: '16kb',
    authThrottlePerAddress: parseWith(env, 'AUTH_THROTTLE_PER_ADDRESS', '30/1m', parseRateLimit, errors),
    authThrottlePerAccount: parseWith(env, 'AUTH_THROTTLE_PER_ACCOUNT', '10/15m', parseRateLimit, errors),
    corsOrigins: parseWith(env, 'CORS_ORIGINS', '', origins, errors),
    trustProxy: parseWith(env, 'TRUST_PROXY', 'false', trustProxy, errors),
    logLevel: parseWith(env, 'LOG_LEVEL', 'log', oneOf('error', 'warn', 'log', 'debug', 'verbose'), errors),
    smtpUrl: read(env, 'SMTP_URL', '') ? parseWith(env, 'SMTP_URL', '', url('smtp:', 'smtps:'), errors) : null,
    mailFrom: parseWith(env, 'MAIL_FROM', 'Countercyclical <no-reply@localhost>', (raw) => {
      // An address, optionally with a display name: `Name <a@b>` or `a@b`.
      if (!/^(?:[^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/.test(raw)) throw new Error('must be an address, e.g. "Countercyclical <no-reply@example.com>"');
      return raw;
    }, errors),
    publicUrl: parseWith(env, 'PUBLIC_URL', 'http://localhost:3000', (raw) => url('http:', 'https:')(raw).replace(/\/+$/, ''), errors),
  };
  // Long enough for an attempt that starts right at the signal to run to its timeout and be logged.
  config.workerShutdownGraceMs = parseWith(env, 'WORKER_SHUTDOWN_GRACE_MS', String(config.webhookTimeoutMs + 5_000), integer(0, 600_000), errors);
  if (!config.webhookSecretKey && nodeEnv === 'production') {
    errors.push(
      'WEBHOOK_SECRET_KEY: required when NODE_ENV=production (encrypts webhook signing secrets at rest); ' +
        'generate one with `openssl rand -base64 32`',
    );
  }
  for (const [name, keys] of [['WEBHOOK_SECRET_KEY', [config.webhookSecretKey].filter(Boolean)], ['WEBHOOK_SECRET_KEY_PREVIOUS', config.webhookSecretKeyPrevious]] as const) {
    if (keys.some((key) => key.length < 32)) errors.push(`${name}: must be at least 32 characters`);
  }
  if (errors.length) throw new ConfigError(`Invalid configuration:\n  ${errors.join('\n  ')}`);
  return config;
}
