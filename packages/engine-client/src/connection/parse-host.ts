import { EndpointConfigError } from './endpoint-config-error.js';

/** A daemon address, parsed. `host` is the normalized string, never holding a password. */
export type HostTarget =
  | { transport: 'unix'; host: string; socketPath: string }
  | { transport: 'tcp'; host: string; hostname: string; port: number | undefined }
  | {
      transport: 'ssh';
      host: string;
      hostname: string;
      port: number | undefined;
      user: string | undefined;
    };

/** The input with any `user:password@` replaced, for messages. */
function redact(raw: string): string {
  return raw.replace(/\/\/[^/@]*@/, '//***@');
}

function fail(message: string): never {
  throw new EndpointConfigError(message);
}

function parsePort(raw: string, what: string): number | undefined {
  if (raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`invalid port in ${what}`);
  return port;
}

function parseUrl(raw: string, what: string): URL {
  try {
    return new URL(raw);
  } catch {
    return fail(
      `cannot parse ${what}: expected unix:///path, tcp://host:port or ssh://[user@]host[:port]`,
    );
  }
}

/**
 * Parses a DOCKER_HOST-style address: unix:///path, tcp://host[:port], ssh://[user@]host[:port];
 * no scheme means tcp. The tcp port stays undefined when not given (2375, or 2376 with TLS).
 */
export function parseHost(input: string): HostTarget {
  const raw = input.trim();
  const shown = redact(raw);
  if (raw === '') fail('the engine host is empty');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (raw.startsWith('/')) fail(`host "${shown}" has no scheme: did you mean unix://${shown}?`);
    return parseHost(`tcp://${raw}`);
  }
  if (scheme === 'unix') {
    const socketPath = raw.slice('unix://'.length);
    if (socketPath === '') fail('unix:// host without a socket path');
    return { transport: 'unix', host: `unix://${socketPath}`, socketPath };
  }
  if (scheme === 'tcp') {
    const url = parseUrl(raw, `host "${shown}"`);
    if (url.hostname === '') fail(`host "${shown}" has no host name`);
    if (url.username || url.password) fail(`tcp host "${url.hostname}" must not carry a user`);
    if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
      fail(`tcp host "${url.hostname}" must not have a path or query`);
    }
    const port = parsePort(url.port, `host "${shown}"`);
    const host = `tcp://${url.hostname}${port === undefined ? '' : `:${port}`}`;
    return { transport: 'tcp', host, hostname: url.hostname, port };
  }
  if (scheme === 'ssh') {
    // Parse before echoing anything: the input may carry a password we must never print.
    const url = parseUrl(raw, 'the ssh:// host');
    if (url.password) fail('ssh:// hosts must not carry a password: use an ssh key or agent');
    if (url.hostname === '') fail('ssh:// host without a host name');
    if (url.hostname.startsWith('-')) fail('ssh:// host names must not start with "-"');
    if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
      fail(`ssh host "${url.hostname}" must not have a path or query`);
    }
    const port = parsePort(url.port, `ssh host "${url.hostname}"`);
    const user = url.username ? decodeURIComponent(url.username) : undefined;
    const host = `ssh://${user ? `${url.username}@` : ''}${url.hostname}${port === undefined ? '' : `:${port}`}`;
    return { transport: 'ssh', host, hostname: url.hostname, port, user };
  }
  if (scheme === 'npipe') fail('npipe:// (Windows named pipes) is not supported');
  return fail(`unsupported host scheme "${scheme}://": use unix://, tcp:// or ssh://`);
}
