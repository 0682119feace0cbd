// Which fields each kind has, for fieldValidation: the real server decodes
// into typed structs, so unknown fields are dropped (Ignore), dropped with a
// warning (Warn, the default) or rejected (Strict, what kubectl sends). Only
// the structure matters here; values are checked by the strategies. Subtrees
// this server does not interpret (labels, status, Node spec...) are opaque.

import { isRecord } from './kube-object.js';
import { ENDPOINT_SLICES, NAMESPACES, NODES, SERVICES, type ResourceType } from './resource-types.js';

type FieldTree = 'opaque' | { [field: string]: FieldTree } | [FieldTree];

const O = 'opaque' as const;

function fields(names: string[], nested: Record<string, FieldTree> = {}): { [field: string]: FieldTree } {
  return { ...Object.fromEntries(names.map((name) => [name, O])), ...nested };
}

const OBJECT_META = fields([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

const TOP = (nested: Record<string, FieldTree>) => fields(['apiVersion', 'kind'], { metadata: OBJECT_META, ...nested });

const SERVICE_FIELDS = TOP({
  spec: fields(
    [
      'allocateLoadBalancerNodePorts', 'clusterIP', 'clusterIPs', 'externalIPs', 'externalName', 'externalTrafficPolicy',
      'healthCheckNodePort', 'internalTrafficPolicy', 'ipFamilies', 'ipFamilyPolicy', 'loadBalancerClass', 'loadBalancerIP',
      'loadBalancerSourceRanges', 'publishNotReadyAddresses', 'selector', 'sessionAffinity', 'sessionAffinityConfig',
      'trafficDistribution', 'type',
    ],
    { ports: [fields(['name', 'protocol', 'appProtocol', 'port', 'targetPort', 'nodePort'])] },
  ),
  status: O,
});

const ENDPOINT_SLICE_FIELDS = TOP({
  addressType: O,
  endpoints: [
    fields(['addresses', 'hostname', 'targetRef', 'deprecatedTopology', 'nodeName', 'zone', 'hints'], {
      conditions: fields(['ready', 'serving', 'terminating']),
    }),
  ],
  ports: [fields(['name', 'protocol', 'port', 'appProtocol'])],
});

const TREES = new Map<ResourceType, FieldTree>([
  [SERVICES, SERVICE_FIELDS],
  [ENDPOINT_SLICES, ENDPOINT_SLICE_FIELDS],
  [NODES, TOP({ spec: O, status: O })],
  [NAMESPACES, TOP({ spec: O, status: O })],
]);

function strip(tree: FieldTree, value: unknown, path: string, found: string[]): void {
  if (tree === O) return;
  if (Array.isArray(tree)) {
    if (Array.isArray(value)) value.forEach((item, i) => strip(tree[0], item, `${path}[${i}]`, found));
    return;
  }
  if (!isRecord(value)) return;
  for (const key of Object.keys(value)) {
    const child = tree[key];
    const childPath = path === '' ? key : `${path}.${key}`;
    if (child === undefined) {
      found.push(childPath);
      delete value[key];
    } else {
      strip(child, value[key], childPath, found);
    }
  }
}

/** Removes fields the kind does not have from `object` (in place) and returns their paths, e.g. "spec.ports[0].targetport". */
export function stripUnknownFields(type: ResourceType, object: unknown): string[] {
  const found: string[] = [];
  const tree = TREES.get(type);
  if (tree !== undefined) strip(tree, object, '', found);
  return found;
}
