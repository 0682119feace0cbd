// A TCP port nothing listens on right now, for servers that cannot report the port they picked for ":0"
// (Prometheus). Racy by nature (another process may take it before ours binds): callers retry on EADDRINUSE.
import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e) => reject(new Error(`looking for a free port on ${host}: ${e.message}`)));
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
