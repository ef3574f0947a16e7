/** The three contenders, connected to the same daemon (DOCKER_HOST, a unix socket). */
import { EngineClient } from '@imgext/engine-client';
import Dockerode from 'dockerode';
import { Pool } from 'undici';

export const CLIENTS = ['engine-client', 'dockerode', 'undici'] as const;
export type ClientName = (typeof CLIENTS)[number];

export interface Clients {
  engine: EngineClient;
  dockerode: Dockerode;
  /** Bare undici: versioned paths, no client logic at all (the floor). */
  pool: Pool;
  apiVersion: string;
  socketPath: string;
  close(): Promise<void>;
}

export function daemonSocket(): string {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (!host.startsWith('unix://'))
    throw new Error(`the benchmark needs a unix:// DOCKER_HOST, not ${host}`);
  return host.slice('unix://'.length);
}

export async function openClients(): Promise<Clients> {
  const socketPath = daemonSocket();
  const engine = new EngineClient({ host: `unix://${socketPath}` });
  const apiVersion = await engine.apiVersion();
  // Same API version and connection count for everyone.
  const dockerode = new Dockerode({ socketPath, version: `v${apiVersion}` });
  const pool = new Pool('http://localhost', {
    connect: { socketPath },
    connections: 16,
    bodyTimeout: 0,
    headersTimeout: 0,
  });
  return {
    engine,
    dockerode,
    pool,
    apiVersion,
    socketPath,
    async close() {
      await engine.close();
      await pool.close();
    },
  };
}
