/**
 * The error contract of /upload and /upload/inspect: a stable code per failure and its HTTP
 * status (used when the answer is one JSON document; in NDJSON progress mode the code travels in
 * the final `{phase: 'error'}` line instead).
 */

/** Upload failure codes and their HTTP status. */
export const UPLOAD_ERROR_STATUS = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UPSTREAM_FAILED: 502,
} as const;

export type UploadErrorCode = keyof typeof UPLOAD_ERROR_STATUS;

export class UploadError extends Error {
  constructor(
    readonly code: UploadErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
  get status(): number {
    return UPLOAD_ERROR_STATUS[this.code];
  }
  toJSON(): { code: UploadErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}
