export { usageIdentifierKeyFor } from './usage-identifier';
export {
  CUSTOMER_LIMIT_BOUNDS,
  DEFAULT_CUSTOMER_LIMITS,
  checkLimitValue,
  limitsFor,
  parseCustomerLimits,
  usagePlanKeyName,
  type CustomerLimits,
  type LimitsConfig,
} from './settings';
export { InMemoryRequestLimiter, SYSTEM_CLOCK, type Clock, type InMemoryRequestLimiterOptions, type LimitDecision, type RequestLimiter } from './limiter';
export type { UsagePlanEnrolment, UsagePlanKeyRegistry } from './enrolment';
