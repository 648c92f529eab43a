/** Errors thrown by the node core. */

/** A put (or a batch of puts) did not reach its write quorum W. */
export class QuorumError extends Error {
  readonly code = 'QUORUM';
  constructor(
    message: string,
    /** The keys (hex) that got fewer than W acknowledgements, with how many they got. */
    readonly failures: { key: string; acks: number; needed: number }[],
  ) {
    super(message);
    this.name = 'QuorumError';
  }
  /** Keys (hex) that failed. */
  get keys(): string[] {
    return this.failures.map((f) => f.key);
  }
  /** Acks of the first failing key (single-key puts). */
  get acks(): number {
    return this.failures[0]?.acks ?? 0;
  }
}

/** An RPC failed: transport error, malformed reply, or an error answered by the remote node. */
export class RpcError extends Error {
  constructor(
    /** TIMEOUT | UNREACHABLE | CLOSED | REFUSED | TOO_LARGE | BAD_REPLY | REMOTE_ERROR | ... */
    readonly code: string,
    message: string,
    /** True when the remote node answered (it is alive even though the call failed). */
    readonly answered = false,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}
