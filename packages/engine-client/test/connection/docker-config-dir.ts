import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextDigest } from '../../src/connection/docker-context.js';

/** A throwaway $DOCKER_CONFIG folder the test fills with config.json, contexts and certs. */
export class DockerConfigDir {
  readonly path = mkdtempSync(join(tmpdir(), 'imgext-docker-config-'));

  writeConfig(config: object): this {
    writeFileSync(join(this.path, 'config.json'), JSON.stringify(config));
    return this;
  }

  /** Stores a context as `docker context create` does; `tls` files land in its tls folder. */
  addContext(
    name: string,
    docker: { Host: string; SkipTLSVerify?: boolean },
    tls?: Partial<Record<'ca.pem' | 'cert.pem' | 'key.pem', string | Buffer>>,
  ): this {
    const digest = contextDigest(name);
    const meta = join(this.path, 'contexts', 'meta', digest);
    mkdirSync(meta, { recursive: true });
    writeFileSync(
      join(meta, 'meta.json'),
      JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker } }),
    );
    if (tls) {
      const dir = join(this.path, 'contexts', 'tls', digest, 'docker');
      mkdirSync(dir, { recursive: true });
      for (const [file, pem] of Object.entries(tls)) writeFileSync(join(dir, file), pem);
    }
    return this;
  }

  /** Writes cert files into a sub-folder and returns its path. */
  certDir(
    name: string,
    files: Partial<Record<'ca.pem' | 'cert.pem' | 'key.pem', string | Buffer>>,
  ): string {
    const dir = join(this.path, name);
    mkdirSync(dir, { recursive: true });
    for (const [file, pem] of Object.entries(files)) writeFileSync(join(dir, file), pem);
    return dir;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
