// The list functions of the proxier's three watchers: every Service, every EndpointSlice, and this node's
// Node, each listed in pages (paged-list.ts) as client-go's reflector lists them.
import { CoreV1Api, DiscoveryV1Api, type KubeConfig, type KubernetesListObject, type V1EndpointSlice, type V1Node, type V1Service } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.js';
import { pagedList } from './paged-list.js';

export interface ClusterLists {
  services: () => Promise<KubernetesListObject<V1Service>>;
  endpointSlices: () => Promise<KubernetesListObject<V1EndpointSlice>>;
  node: () => Promise<KubernetesListObject<V1Node>>;
  /** The Node's list and watch select it by name. */
  nodeFieldSelector: string;
}

export function clusterLists(kubeConfig: KubeConfig, nodeName: string, log: Logger): ClusterLists {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
  const nodeFieldSelector = `metadata.name=${nodeName}`;
  return {
    services: pagedList('services', (page) => core.listServiceForAllNamespaces(page), log),
    endpointSlices: pagedList('endpointslices', (page) => discovery.listEndpointSliceForAllNamespaces(page), log),
    node: pagedList('node', (page) => core.listNode({ fieldSelector: nodeFieldSelector, ...page }), log),
    nodeFieldSelector,
  };
}
