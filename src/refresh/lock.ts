/**
 * Cross-process mutual exclusion for refreshes.
 *
 * @module
 */

/** A held lock. */
export interface LockLease {
  /** Release the lock if this lease still holds it (compare-and-delete). Idempotent. */
  release(): Promise<void>
}

/**
 * A lock shared by every process that serves the same sessions. Keys are hashes, never tokens.
 *
 * - `acquire` takes the lock for `leaseMs` and keeps renewing it while held; it returns `null`
 *   when another holder has it.
 * - `waitForRelease` resolves when the key is released or after `timeoutMs`, whichever comes first.
 */
export interface RefreshLock {
  acquire(key: string, leaseMs: number): Promise<LockLease | null>
  waitForRelease(key: string, timeoutMs: number): Promise<void>
}
