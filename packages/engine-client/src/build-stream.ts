/**
 * Reads the classic builder's JSON-lines answer: progress events, the transcript, steps, cache
 * hits, the image ID (aux.ID), and an in-band error after the 200 turned into a BuildError that
 * names the failing step. Understands docker's ("Step 1/2 : ...", " ---> Using cache") and
 * podman's ("STEP 1/2: ...", "--> Using cache ...") wording.
 */
import type { BuildProgressEvent, BuildResult } from './api.js';
import { BuildError } from './errors.js';

const STEP = /^(?:Step|STEP) (\d+)\/(\d+) ?: ?(.*)$/;
const CACHE_HIT = /^\s*-+>\s*Using cache\b/;
const SUCCESS = /^Successfully built ([0-9a-f]{12,64})\s*$/;
/** ' ---> 5d41402abc4b' (docker) or '--> 5d41402abc4b' (podman, 11 hex digits): the image a step ended with. */
const STEP_IMAGE = /^\s*-+>\s*([0-9a-f]{10,64})\s*$/;
const FROM = /^FROM\b/i;

interface BuildMessage {
  stream?: unknown;
  status?: unknown;
  id?: unknown;
  progress?: unknown;
  aux?: { ID?: unknown } | unknown;
  error?: unknown;
  errorDetail?: { message?: unknown } | unknown;
}

export class BuildStreamReader {
  readonly transcript: string[] = [];
  cacheHits = 0;
  steps = 0;
  imageId: string | undefined;
  /** The short ID of "Successfully built <id>", for engines that send no aux.ID. */
  builtId: string | undefined;
  /** Images this build committed (not FROM bases, not cache hits), in step order. */
  readonly newImageIds: string[] = [];
  #step: string | undefined;
  /** What the next step-image line stands for. */
  #next: 'base' | 'cached' | 'new' | undefined;
  #partial = '';
  readonly #onProgress: ((event: BuildProgressEvent) => void) | undefined;

  constructor(onProgress?: (event: BuildProgressEvent) => void) {
    this.#onProgress = onProgress;
  }

  /** Consumes one message; throws a BuildError for an in-band error. */
  read(value: unknown): void {
    if (!value || typeof value !== 'object') return;
    const msg = value as BuildMessage;
    if (typeof msg.stream === 'string') this.#text(msg.stream);
    const aux = msg.aux as { ID?: unknown } | undefined;
    if (aux && typeof aux === 'object' && typeof aux.ID === 'string') {
      this.imageId = aux.ID;
      this.#emit({ type: 'aux', id: aux.ID });
    }
    if (typeof msg.status === 'string') {
      this.#emit({
        type: 'status',
        status: msg.status,
        ...(typeof msg.id === 'string' ? { id: msg.id } : {}),
        ...(typeof msg.progress === 'string' ? { progress: msg.progress } : {}),
      });
    }
    const detail = msg.errorDetail as { message?: unknown } | undefined;
    const error =
      typeof msg.error === 'string'
        ? msg.error
        : detail && typeof detail === 'object' && typeof detail.message === 'string'
          ? detail.message
          : undefined;
    if (error !== undefined) {
      this.#flush();
      throw new BuildError(error, {
        method: 'POST',
        path: '/build',
        statusCode: 200,
        ...(this.#step ? { step: this.#step } : {}),
        transcript: this.transcript,
        newImageIds: this.newImageIds,
      });
    }
  }

  /** Call at the end of the stream. */
  finish(): Omit<BuildResult, 'imageId'> & { imageId: string | undefined } {
    this.#flush();
    return {
      imageId: this.imageId,
      transcript: this.transcript,
      cacheHits: this.cacheHits,
      steps: this.steps,
      newImageIds: this.newImageIds,
    };
  }

  #text(text: string): void {
    this.#emit({ type: 'output', text });
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.#line(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  #flush(): void {
    if (this.#partial !== '') this.#line(this.#partial);
    this.#partial = '';
  }

  #line(line: string): void {
    this.transcript.push(line);
    const step = STEP.exec(line);
    if (step) {
      this.steps++;
      this.#step = line;
      this.#next = FROM.test(step[3] ?? '') ? 'base' : 'new';
      this.#emit({
        type: 'step',
        step: Number(step[1]),
        total: Number(step[2]),
        instruction: step[3] ?? '',
        raw: line,
      });
      return;
    }
    if (CACHE_HIT.test(line)) {
      this.cacheHits++;
      this.#next = 'cached';
      this.#emit({ type: 'cache-hit' });
      return;
    }
    const image = STEP_IMAGE.exec(line);
    if (image) {
      if (this.#next === 'new') {
        this.newImageIds.push(image[1]!);
        this.#emit({ type: 'committed', id: image[1]! });
      }
      this.#next = undefined;
      return;
    }
    const built = SUCCESS.exec(line);
    if (built) this.builtId = built[1];
  }

  #emit(event: BuildProgressEvent): void {
    this.#onProgress?.(event);
  }
}
