/**
 * Ops helpers shared by every long-running role: logs, metrics, /healthz + /metrics, SIGTERM.
 * Re-exported from @gotify/dht.
 */
export { makeLogger, defaultLogLevel, DEFAULT_LOG_LEVEL } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { makeMetrics, metricsOn, makeDhtMetrics, Registry, DEFAULT_METRICS_PREFIX } from './metrics.js';
export type { Metrics, DhtMetrics } from './metrics.js';
export { serveOps, HEALTH_TIMEOUT_MS } from './serve.js';
export type { OpsOptions, HealthReport } from './serve.js';
export { onShutdown, SHUTDOWN_HARD_EXIT_MS } from './shutdown.js';
export type { ShutdownOptions } from './shutdown.js';
