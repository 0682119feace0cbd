// Nodes: status may be set on create (kubelets register with it) but a plain
// update keeps the stored status; the /status subresource changes it.

import { fieldError, InvalidFields, type StatusCause } from './api-error.js';
import { isRecord, type KubeObject } from './kube-object.js';
import { parseCidr } from './ip-address.js';
import { NODES } from './resource-types.js';
import type { ResourceStrategy } from './strategy.js';

interface NodeObject extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[]; [field: string]: unknown };
  status?: Record<string, unknown>;
}

function specOf(node: NodeObject): NonNullable<NodeObject['spec']> {
  if (node.spec === undefined || node.spec === null) node.spec = {};
  if (!isRecord(node.spec)) throw new InvalidFields([fieldError.invalid('spec', node.spec, 'must be an object')]);
  return node.spec;
}

function defaultAndValidate(node: NodeObject): void {
  const spec = specOf(node);
  // v1 defaulting keeps podCIDR and podCIDRs[0] in sync.
  if (spec.podCIDR && (spec.podCIDRs ?? []).length === 0) spec.podCIDRs = [spec.podCIDR];
  if (!spec.podCIDR && spec.podCIDRs?.[0] !== undefined) spec.podCIDR = spec.podCIDRs[0];
  const causes: StatusCause[] = [];
  (spec.podCIDRs ?? []).forEach((cidr, i) => {
    try {
      parseCidr(cidr);
    } catch {
      causes.push(fieldError.invalid(`spec.podCIDRs[${i}]`, cidr, 'must be a valid CIDR'));
    }
  });
  if (spec.podCIDR !== undefined && spec.podCIDRs?.[0] !== spec.podCIDR) {
    causes.push(fieldError.invalid('spec.podCIDRs', spec.podCIDRs, 'element [0] must match spec.podCIDR'));
  }
  if (causes.length > 0) throw new InvalidFields(causes);
}

export class NodeStrategy implements ResourceStrategy {
  readonly type = NODES;
  readonly nameRule = 'dns1123-subdomain' as const;

  prepareCreate(object: KubeObject): undefined {
    const node = object as NodeObject;
    defaultAndValidate(node);
    node.status ??= {};
    return undefined;
  }

  prepareUpdate(object: KubeObject, old: KubeObject): undefined {
    const node = object as NodeObject;
    defaultAndValidate(node);
    node.status = (old as NodeObject).status ?? {};
    return undefined;
  }

  released(): void {}
}
