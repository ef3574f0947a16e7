/** Registry credentials for the lifecycle (CNB_REGISTRY_AUTH), from the client's docker config. */
import type { EngineClientApi } from '@imgext/engine-client';

/** `{ CNB_REGISTRY_AUTH: '{"host":"Basic ..."}' }`, or `{}` when no ref has credentials. */
export async function registryAuthEnv(
  client: Pick<EngineClientApi, 'authFor'>,
  refs: Array<string | undefined>,
): Promise<Record<string, string>> {
  const auth: Record<string, string> = {};
  for (const ref of refs) {
    if (!ref) continue;
    const cred = await client.authFor(ref);
    if (!cred) continue;
    const registry = cred.serveraddress ?? ref.split('/')[0]!;
    if (cred.registrytoken) auth[registry] = `Bearer ${cred.registrytoken}`;
    else if (cred.username && cred.password) {
      auth[registry] =
        `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    }
  }
  return Object.keys(auth).length ? { CNB_REGISTRY_AUTH: JSON.stringify(auth) } : {};
}
