// The "pods" behind the example Services (httpd.yaml: 3 x port 80; nodeport.yaml: 2 x port 5003), as
// network namespaces on the node network (e2e/traffic): the demo and the DaemonSet pod suite serve the
// same examples from them. Their addresses are the examples' EndpointSlices'.
export const EXAMPLE_PODS = [
  { name: 'httpd-1', ip: '10.244.1.2', port: 80 },
  { name: 'httpd-2', ip: '10.244.1.3', port: 80 },
  { name: 'httpd-3', ip: '10.244.1.4', port: 80 },
  { name: 'web-1', ip: '10.244.1.5', port: 5003 },
  { name: 'web-2', ip: '10.244.1.6', port: 5003 },
] as const;
