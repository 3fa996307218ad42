// Public surface of @cc/router: the programmatic router and the state types it consumes.
export { createRouter } from './router.js';
export type { Router } from './router-api.js';
export type { RouterOptions, HealthCheckOptions, RouterLogger } from './options.js';
export { RouterError, isRouterError } from './errors.js';
export type { RouterErrorCode } from './errors.js';
export { parseRouterState } from './state-validation.js';
export type {
  RouterState,
  RouterStateInput,
  RouterStateDocument,
  RouterTarget,
  RouterService,
  RouterMaintenance,
  RouterMetricsSnapshot,
  RouterVersionMetrics,
  RouterTargetStatus,
} from '@cc/contracts';
