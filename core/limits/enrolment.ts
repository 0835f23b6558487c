/**
 * The port that gives a customer created after deployment (`ingest keys create`) its place in
 * the default usage plan on AWS. Customers with an override get their own plan and key from the
 * CDKTF app instead (cdktf/constructs/usage-plans.ts).
 */

/** What enrolling a customer did. */
export interface UsagePlanEnrolment {
  /** The API Gateway API key id of the customer (its value is `usageIdentifierKeyFor(customerId)`). */
  apiKeyId: string;
  /** False when the key already existed. */
  createdKey: boolean;
  /** False when the key was already in the plan. */
  attached: boolean;
}

/**
 * Binds customers to a usage plan through API keys whose values are their usage identifiers.
 * Idempotent: enrolling a customer twice changes nothing the second time.
 */
export interface UsagePlanKeyRegistry {
  /**
   * Makes sure the customer's API key exists and is in the plan.
   * @throws InvalidParameterError for a customer id outside `INPUT_BOUNDS.customerId`;
   *   ConfigError when the plan does not exist; DependencyError / DependencyRejectedError when API Gateway fails.
   */
  enrol(customerId: string): Promise<UsagePlanEnrolment>;
}
