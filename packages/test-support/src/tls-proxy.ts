import { connect } from 'node:net';
import { pipeline } from 'node:stream';
import { createServer, type Server } from 'node:tls';
import type { TestCerts } from './certs.js';

export interface TlsProxy {
  port: number;
  /** Drops every open connection and stops listening: the daemon "goes away" for its clients. */
  cut(): Promise<void>;
  /** The same as `cut`. */
  close(): Promise<void>;
}

/**
 * A TLS-terminating proxy on 127.0.0.1 in front of a daemon's unix socket, behaving like
 * `dockerd --tlsverify`: it presents the server certificate and requires a client certificate
 * signed by the CA.
 */
export async function startTlsProxy(certs: TestCerts, socketPath: string): Promise<TlsProxy> {
  const open = new Set<{ destroy(): void }>();
  const server: Server = createServer(
    {
      cert: certs.server.cert,
      key: certs.server.key,
      ca: certs.ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (tlsSocket) => {
      const upstream = connect(socketPath);
      open.add(tlsSocket).add(upstream);
      pipeline(tlsSocket, upstream, tlsSocket, () => {
        tlsSocket.destroy();
        upstream.destroy();
        open.delete(tlsSocket);
        open.delete(upstream);
      });
    },
  );
  server.on('tlsClientError', () => {
    // a refused handshake is what some tests want; nothing to do
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no tcp address');
  let listening = true;
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
    });
  return { port: address.port, cut, close: cut };
}
