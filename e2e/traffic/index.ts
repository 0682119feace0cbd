// The traffic fixture for the proxier's e2e tests, in one import: a node network with pods and outside
// clients (node-network), pod servers answering with their names (pod-servers), and clients that count
// who answered (client). See README.md.
export {
  NODE_IP,
  NODE_IP6,
  OUTSIDE_CLIENT,
  POD_GATEWAY,
  POD_GATEWAY6,
  addPods,
  listLinks,
  listNamespaces,
  removePods,
  setupNodeNetwork,
  teardownNodeNetwork,
  type Attachment,
  type NamespaceSpec,
  type NodeNetwork,
  type NodeNetworkOptions,
} from './node-network.js';
export { startPodServers, type PodServerSpec, type PodServers, type RunningPodServer, type StartOptions } from './pod-servers.js';
export {
  httpSpread,
  inNetns,
  steadyStream,
  udpSpread,
  type Answer,
  type Failure,
  type SpreadOptions,
  type SpreadResult,
  type SteadyStream,
  type SteadyStreamOptions,
  type StreamReport,
  type Vantage,
} from './client.js';
export { CommandError, runCommand } from './run-command.js';
