/**
 * Reads the JSON-lines progress answer of pull, push, load and import: progress events, and an
 * in-band `error`/`errorDetail` turned into a PullError that keeps the daemon's message.
 */
import type { PullProgressEvent } from './api.js';
import { PullError } from './errors.js';
import { eachJsonLine } from './streams/json-lines.js';
import type { EngineResponse } from './transport.js';

export interface ProgressMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { message?: string };
}

/** Consumes the whole answer, calling `onMessage` per message; throws on an in-band error. */
export async function readProgress(
  res: EngineResponse,
  context: { method: string; path: string; ref?: string },
  onMessage: (message: ProgressMessage) => void,
): Promise<void> {
  try {
    await eachJsonLine(res.body, (value) => {
      if (!value || typeof value !== 'object') return;
      const message = value as ProgressMessage;
      const error =
        typeof message.error === 'string' ? message.error : message.errorDetail?.message;
      if (typeof error === 'string') {
        throw new PullError(error, { ...context, statusCode: res.statusCode });
      }
      onMessage(message);
    });
  } finally {
    res.destroy();
  }
}

/** The public progress event of a message that has a status. */
export function progressEvent(message: ProgressMessage): PullProgressEvent | undefined {
  if (typeof message.status !== 'string') return undefined;
  const event: PullProgressEvent = { status: message.status };
  if (typeof message.id === 'string') event.id = message.id;
  if (typeof message.progress === 'string') event.progress = message.progress;
  const detail = message.progressDetail;
  if (typeof detail?.current === 'number') event.current = detail.current;
  if (typeof detail?.total === 'number') event.total = detail.total;
  return event;
}
