/** The slice of dockerode 4's API the benchmark uses (dockerode ships no types). */
declare module 'dockerode' {
  import type { Readable, Writable } from 'node:stream';

  interface Modem {
    demuxStream(stream: Readable, stdout: Writable, stderr: Writable): void;
    followProgress(
      stream: Readable,
      onFinished: (err: Error | null, output: unknown[]) => void,
      onProgress?: (event: unknown) => void,
    ): void;
  }

  interface Container {
    id: string;
    logs(opts: { follow: true; stdout?: boolean; stderr?: boolean }): Promise<Readable>;
    remove(opts?: { force?: boolean }): Promise<unknown>;
  }

  export default class Dockerode {
    constructor(opts: { socketPath: string; version?: string });
    modem: Modem;
    ping(): Promise<unknown>;
    getImage(name: string): { inspect(): Promise<unknown> };
    getContainer(id: string): Container;
    buildImage(context: Readable, opts: Record<string, unknown>): Promise<Readable>;
    run(
      image: string,
      cmd: string[],
      output: Writable,
      createOptions?: Record<string, unknown>,
    ): Promise<[{ StatusCode: number }, Container]>;
  }
}
