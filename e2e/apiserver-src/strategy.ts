// Per-kind behaviour of writes, in the spirit of the API server's
// rest.RESTCreateStrategy / RESTUpdateStrategy: defaulting, validation,
// status handling and side effects such as IP allocation.

import type { KubeObject } from './kube-object.js';
import type { Reservation } from './reservation.js';
import type { ResourceType } from './resource-types.js';
import type { NameRule } from './validation.js';

export interface ResourceStrategy {
  readonly type: ResourceType;
  readonly nameRule: NameRule;
  /**
   * Defaults and validates a new object in place (throwing InvalidFields),
   * claiming whatever it needs; the caller commits or rolls back the result.
   */
  prepareCreate(object: KubeObject): Reservation | undefined;
  /** Same for a replacement of `old` (the stored version). */
  prepareUpdate(object: KubeObject, old: KubeObject): Reservation | undefined;
  /** Frees what a deleted object held. */
  released(object: KubeObject): void;
}
