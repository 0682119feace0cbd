// Server-side printing: the meta.k8s.io Table that `kubectl get` asks for
// (Accept: ...;as=Table), with the columns the real API server prints for
// these kinds (pkg/printers/internalversion).

import { humanDuration } from './human-duration.js';
import { isRecord, type KubeObject } from './kube-object.js';
import { ENDPOINT_SLICES, NAMESPACES, NODES, SERVICES, type ResourceType } from './resource-types.js';
import type { ServiceObject } from './service-types.js';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string };
  columnDefinitions: ColumnDefinition[];
  rows: TableRow[];
}

interface Printer {
  columns: ColumnDefinition[];
  cells(object: KubeObject, now: Date): unknown[];
}

function column(name: string, description: string, priority = 0, format = ''): ColumnDefinition {
  return { name, type: 'string', format, description, priority };
}

const NAME_COLUMN = column('Name', 'Name must be unique within a namespace.', 0, 'name');
const AGE_COLUMN = column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

function age(object: KubeObject, now: Date): string {
  const created = object.metadata.creationTimestamp;
  if (created === undefined) return '<unknown>';
  return humanDuration(now.getTime() - new Date(created).getTime());
}

function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

function serviceExternalIP(service: ServiceObject): string {
  const spec = service.spec ?? {};
  const externalIPs = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = (service.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter((s) => s !== '');
      const all = [...ingress, ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'type determines how the Service is exposed.'),
    column('Cluster-IP', 'clusterIP is the IP address of the service.'),
    column('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    column('Port(s)', 'The list of ports that are exposed by this service.'),
    AGE_COLUMN,
    column('Selector', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  cells(object, now) {
    const service = object as ServiceObject;
    const spec = service.spec ?? {};
    const ports = (spec.ports ?? [])
      .map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`))
      .join(',');
    return [
      object.metadata.name,
      spec.type ?? 'ClusterIP',
      spec.clusterIPs?.[0] ?? '<none>',
      serviceExternalIP(service),
      ports,
      age(object, now),
      formatLabels(spec.selector),
    ];
  },
};

/** listWithMoreString: the first three, then "+ N more...". */
function firstThree(values: string[]): string {
  if (values.length === 0) return '<unset>';
  if (values.length <= 3) return values.join(',');
  return `${values.slice(0, 3).join(',')} + ${values.length - 3} more...`;
}

const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'addressType specifies the type of address carried by this EndpointSlice.'),
    column('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    column('Endpoints', 'endpoints is a list of unique endpoints in this slice.'),
    AGE_COLUMN,
  ],
  cells(object, now) {
    const ports = Array.isArray(object.ports) ? (object.ports as Array<{ port?: number; name?: string }>) : [];
    const endpoints = Array.isArray(object.endpoints) ? (object.endpoints as Array<{ addresses?: string[] }>) : [];
    return [
      object.metadata.name,
      object.addressType,
      firstThree(ports.map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : p.name || '*'))),
      firstThree(endpoints.flatMap((e) => e.addresses ?? [])),
      age(object, now),
    ];
  },
};

interface NodeShape {
  spec?: { unschedulable?: boolean };
  status?: {
    conditions?: Array<{ type?: string; status?: string }>;
    addresses?: Array<{ type?: string; address?: string }>;
    nodeInfo?: { kubeletVersion?: string; osImage?: string; kernelVersion?: string; containerRuntimeVersion?: string };
  };
}

const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'The status of the node'),
    column('Roles', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'List of addresses reachable to the node.', 1),
    column('External-IP', 'List of addresses reachable to the node.', 1),
    column('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    column('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    column('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  cells(object, now) {
    const node = object as KubeObject & NodeShape;
    const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
    const status = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
    if (node.spec?.unschedulable) status.push('SchedulingDisabled');
    const roles = new Set<string>();
    for (const [key, value] of Object.entries(object.metadata.labels ?? {})) {
      if (key.startsWith('node-role.kubernetes.io/')) roles.add(key.slice('node-role.kubernetes.io/'.length));
      else if (key === 'kubernetes.io/role') roles.add(value);
    }
    const address = (type: string) => node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
    const info = node.status?.nodeInfo ?? {};
    return [
      object.metadata.name,
      status.join(','),
      roles.size > 0 ? [...roles].sort().join(',') : '<none>',
      age(object, now),
      info.kubeletVersion ?? '',
      address('InternalIP'),
      address('ExternalIP'),
      info.osImage || '<unknown>',
      info.kernelVersion || '<unknown>',
      info.containerRuntimeVersion || '<unknown>',
    ];
  },
};

const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, column('Status', 'The status of the namespace'), AGE_COLUMN],
  cells(object, now) {
    const status = isRecord(object.status) ? object.status : {};
    return [object.metadata.name, status.phase ?? '', age(object, now)];
  },
};

const PRINTERS = new Map<ResourceType, Printer>([
  [SERVICES, servicePrinter],
  [ENDPOINT_SLICES, endpointSlicePrinter],
  [NODES, nodePrinter],
  [NAMESPACES, namespacePrinter],
]);

export interface TableOptions {
  /** "meta.k8s.io/v1" or "meta.k8s.io/v1beta1", whichever the client asked for. */
  apiVersion: string;
  includeObject: IncludeObject;
}

export function toTable(type: ResourceType, objects: KubeObject[], now: Date, options: TableOptions, resourceVersion?: string): Table {
  const printer = PRINTERS.get(type);
  if (printer === undefined) throw new Error(`no table printer for ${type.plural}`);
  const rows = objects.map((object): TableRow => {
    const row: TableRow = { cells: printer.cells(object, now) };
    if (options.includeObject === 'Object') row.object = object;
    if (options.includeObject === 'Metadata') {
      row.object = { kind: 'PartialObjectMetadata', apiVersion: options.apiVersion, metadata: object.metadata };
    }
    return row;
  });
  const table: Table = { kind: 'Table', apiVersion: options.apiVersion, metadata: {}, columnDefinitions: printer.columns, rows };
  if (resourceVersion !== undefined) table.metadata.resourceVersion = resourceVersion;
  return table;
}
