// Namespaces exist only so that `kubectl get ns` and namespace lookups work;
// any namespace an object names is created on first use.

import type { KubeObject } from './kube-object.js';
import { NAMESPACES } from './resource-types.js';
import type { ResourceStrategy } from './strategy.js';

/** The API server keeps this label on every namespace so selectors can match namespaces by name. */
function labelWithName(object: KubeObject): void {
  object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name ?? '' };
}

export class NamespaceStrategy implements ResourceStrategy {
  readonly type = NAMESPACES;
  readonly nameRule = 'dns1123-label' as const;

  prepareCreate(object: KubeObject): undefined {
    labelWithName(object);
    object.spec = { finalizers: ['kubernetes'] };
    object.status = { phase: 'Active' };
    return undefined;
  }

  prepareUpdate(object: KubeObject, old: KubeObject): undefined {
    labelWithName(object);
    object.status = old.status;
    return undefined;
  }

  released(): void {}
}
