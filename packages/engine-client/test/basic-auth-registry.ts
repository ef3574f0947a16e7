/**
 * A registry that wants a password: a Basic-auth front on 127.0.0.1 for the open test registry
 * (IMGEXT_REGISTRY), answering 401 with a Basic challenge to a request without the right
 * credentials, as a private registry does, and passing the others through. It records the hosts
 * of the requests it refused and accepted.
 */
import { createServer, request, type Server } from 'node:http';

export interface BasicAuthRegistry {
  /** '127.0.0.1:<port>' */
  host: string;
  refused: number;
  accepted: number;
  close(): Promise<void>;
}

export async function startBasicAuthRegistry(
  upstream: string,
  user: string,
  password: string,
): Promise<BasicAuthRegistry> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const [upstreamHost, upstreamPort] = upstream.split(':');
  const state = { refused: 0, accepted: 0 };
  const server: Server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      state.refused++;
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="imgext-test"',
        'docker-distribution-api-version': 'registry/2.0',
        'content-type': 'application/json',
      });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    state.accepted++;
    const headers = { ...req.headers, host: upstream };
    delete headers.authorization;
    const forward = request(
      {
        host: upstreamHost,
        port: Number(upstreamPort),
        method: req.method,
        path: req.url,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no tcp address');
  return {
    host: `127.0.0.1:${address.port}`,
    get refused() {
      return state.refused;
    },
    get accepted() {
      return state.accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
