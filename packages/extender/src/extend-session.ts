/**
 * One build's use of the extender's images, start to end: the hold its chains tag their images
 * under, the superseded cache images it retires in the background, and the release at the end.
 * `imgext build` and `imgext extend` both go through it, so the order (retire, then release) and
 * the reporting of what could not be removed live in one place.
 */
import type { EngineClientApi } from '@imgext/engine-client';
import type { ChainResult } from './apply-chain.js';
import { holdRepository, releaseHold } from './hold.js';
import { retireSuperseded } from './retire-superseded.js';
import type { NotRemoved } from './untagged-images.js';

/** Something the session could not remove: reported, never thrown over the build's own result. */
export interface CleanupFailure {
  /**
   * What it tried to remove: a hold repository or "superseded <kind> images" (when the removal
   * failed as a whole), or the one tag the daemon kept (in use by a container).
   */
  what: string;
  message: string;
}

export interface ExtendSessionOptions {
  /** Told about each removal that failed (as a warning: the build's result stands). */
  onCleanupFailed?: (failure: CleanupFailure) => void;
}

export class ExtendSession {
  /** Pass as `hold` to `extend` / `applyChain`. */
  readonly hold: string;
  readonly #engine: EngineClientApi;
  readonly #retiring: Promise<void>[] = [];
  readonly #failed: (failure: CleanupFailure) => void;
  #closed: Promise<void> | undefined;

  constructor(engine: EngineClientApi, id: string, opts: ExtendSessionOptions = {}) {
    this.#engine = engine;
    this.hold = holdRepository(id);
    this.#failed = opts.onCleanupFailed ?? (() => {});
  }

  /**
   * Starts removing what `result`'s cache tags moved away from (once `after` settled, when given:
   * e.g. a container of a superseded image going); returns `result` unchanged.
   */
  retire<T extends Pick<ChainResult, 'kind' | 'imageId' | 'superseded'> | undefined>(
    result: T,
    after?: Promise<unknown>,
  ): T {
    if (result?.superseded.length) {
      const settled = after ? after.then(noop, noop) : Promise.resolve();
      this.#retiring.push(
        settled
          .then(() => retireSuperseded(this.#engine, result))
          .then(
            ({ notRemoved }) => this.#report(notRemoved),
            (err: unknown) =>
              this.#failed({ what: `superseded ${result.kind} images`, message: messageOf(err) }),
          ),
      );
    }
    return result;
  }

  /**
   * Waits for the retirements, then drops the hold: call once nothing runs from or exports the
   * held images any more. Idempotent; never rejects (failures go to `onCleanupFailed`).
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.all(this.#retiring);
      await releaseHold(this.#engine, this.hold).then(
        ({ notRemoved }) => this.#report(notRemoved),
        (err: unknown) => this.#failed({ what: this.hold, message: messageOf(err) }),
      );
    })();
    return this.#closed;
  }

  #report(notRemoved: readonly NotRemoved[]): void {
    for (const { ref, message } of notRemoved) this.#failed({ what: ref, message });
  }
}

function noop(): void {}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
