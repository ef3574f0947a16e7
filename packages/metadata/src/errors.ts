/** Stable codes of every error @imgext/metadata throws. */
export type MetadataErrorCode =
  | 'ERR_TOML_PARSE'
  | 'ERR_GROUP_INVALID'
  | 'ERR_ANALYZED_INVALID'
  | 'ERR_EXTEND_CONFIG_INVALID'
  | 'ERR_EXTEND_CONFIG_FORBIDDEN_ARG'
  | 'ERR_DOCKERFILE_PARSE'
  | 'ERR_DOCKERFILE_INVALID'
  | 'ERR_CONTEXT_AMBIGUOUS'
  | 'ERR_GENERATED_INVALID'
  | 'ERR_PLATFORM_API_INVALID'
  | 'ERR_PLATFORM_API_UNSUPPORTED'
  | 'ERR_LABEL_INVALID'
  | 'ERR_PROJECT_DESCRIPTOR_INVALID';

export interface MetadataErrorDetails {
  /** The extension the error is about, when there is one. */
  extension?: string;
  /** The file the error is about. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  cause?: unknown;
}

/** Thrown by every function of this package; `code` is stable, the message names extension and line. */
export class MetadataError extends Error {
  override readonly name = 'MetadataError';
  readonly code: MetadataErrorCode;
  readonly extension?: string;
  readonly file?: string;
  readonly line?: number;

  constructor(code: MetadataErrorCode, message: string, details: MetadataErrorDetails = {}) {
    super(formatMessage(message, details), details.cause ? { cause: details.cause } : undefined);
    this.code = code;
    if (details.extension !== undefined) this.extension = details.extension;
    if (details.file !== undefined) this.file = details.file;
    if (details.line !== undefined) this.line = details.line;
  }
}

function formatMessage(message: string, d: MetadataErrorDetails): string {
  const where: string[] = [];
  if (d.extension) where.push(`extension ${d.extension}`);
  if (d.file) where.push(d.line ? `${d.file}:${d.line}` : d.file);
  else if (d.line) where.push(`line ${d.line}`);
  return where.length ? `${where.join(', ')}: ${message}` : message;
}
