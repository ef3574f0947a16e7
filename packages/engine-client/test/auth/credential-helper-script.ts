import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StoredCredential {
  Username: string;
  Secret: string;
}

/** Single-quotes a string for sh. */
function sh(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Writes a real `docker-credential-<name>` shell script into `binDir` that answers `get` and
 * `list` from `store` (as docker's helpers do: "credentials not found" and exit 1 when missing)
 * and appends every call ("<action> <server>") to `<binDir>/<name>.calls`.
 */
export function writeCredentialHelper(
  binDir: string,
  name: string,
  store: Record<string, StoredCredential>,
  opts: { failWith?: { code: number; output: string } } = {},
): { calls(): string[] } {
  mkdirSync(binDir, { recursive: true });
  const log = join(binDir, `${name}.calls`);
  const cases = Object.entries(store)
    .map(
      ([server, cred]) =>
        `    ${sh(server)}) printf '%s\\n' ${sh(JSON.stringify({ ServerURL: server, ...cred }))} ;;`,
    )
    .join('\n');
  const list = JSON.stringify(
    Object.fromEntries(Object.entries(store).map(([s, c]) => [s, c.Username])),
  );
  const failure = opts.failWith
    ? `printf '%s\\n' ${sh(opts.failWith.output)}; exit ${opts.failWith.code}`
    : '';
  const script = `#!/bin/sh
server=$(cat)
printf '%s %s\\n' "$1" "$server" >> ${sh(log)}
${failure}
case "$1" in
  get)
    case "$server" in
${cases}
    *) echo "credentials not found in native keychain"; exit 1 ;;
    esac ;;
  list) printf '%s\\n' ${sh(list)} ;;
  *) echo "unknown action $1"; exit 2 ;;
esac
`;
  const path = join(binDir, `docker-credential-${name}`);
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return {
    calls: () => {
      try {
        return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
  };
}
