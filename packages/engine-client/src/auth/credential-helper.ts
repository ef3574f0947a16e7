import { spawn } from 'node:child_process';
import type { RegistryAuth } from '../api.js';
import { CredentialHelperError } from './credential-helper-error.js';

const HELPER_TIMEOUT_MS = 60_000;
const NOT_FOUND = /credentials not found/i;

type Env = Record<string, string | undefined>;

interface HelperAnswer {
  code: number | null;
  stdout: string;
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin (the protocol of docker's helpers). */
function runHelper(
  helper: string,
  action: 'get' | 'list',
  input: string,
  env: Env,
): Promise<HelperAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, [action], {
      env: env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'ignore'],
      timeout: HELPER_TIMEOUT_MS,
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      stdout += text;
    });
    child.stdin.on('error', () => {
      // a helper that exits without reading stdin: its exit code tells the story
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ENOENT' ? 'not found on PATH' : `cannot be run (${err.code ?? err.message})`;
      reject(new CredentialHelperError(helper, why, err));
    });
    child.on('close', (code, signal) => {
      if (signal) reject(new CredentialHelperError(helper, `${action} was killed by ${signal}`));
      else resolve({ code, stdout });
    });
    child.stdin.end(input);
  });
}

/** Credentials for `serverAddress` from a helper; undefined when it has none. */
export async function helperGet(
  helper: string,
  serverAddress: string,
  env: Env,
): Promise<RegistryAuth | undefined> {
  const { code, stdout } = await runHelper(helper, 'get', serverAddress, env);
  if (code !== 0) {
    if (NOT_FOUND.test(stdout)) return undefined;
    // The output of a failing helper is not quoted: it might hold a secret.
    throw new CredentialHelperError(
      helper,
      `get for ${serverAddress} failed with exit code ${code}`,
    );
  }
  let answer: { Username?: unknown; Secret?: unknown; ServerURL?: unknown };
  try {
    answer = JSON.parse(stdout) as typeof answer;
  } catch {
    throw new CredentialHelperError(helper, `get for ${serverAddress} did not answer JSON`);
  }
  const username = typeof answer.Username === 'string' ? answer.Username : '';
  const secret = typeof answer.Secret === 'string' ? answer.Secret : '';
  if (username === '' && secret === '') return undefined;
  // '<token>' as the user name means the secret is an identity (refresh) token.
  if (username === '<token>') return { identitytoken: secret, serveraddress: serverAddress };
  return { username, password: secret, serveraddress: serverAddress };
}

/** The server addresses a helper holds credentials for. */
export async function helperList(helper: string, env: Env): Promise<string[]> {
  const { code, stdout } = await runHelper(helper, 'list', '', env);
  if (code !== 0) throw new CredentialHelperError(helper, `list failed with exit code ${code}`);
  try {
    return Object.keys(JSON.parse(stdout) as Record<string, string>);
  } catch {
    throw new CredentialHelperError(helper, 'list did not answer JSON');
  }
}
