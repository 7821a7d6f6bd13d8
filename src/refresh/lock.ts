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
 * - `acquire` takes the lock for `leaseMs` and keeps renewing it while held (a crashed holder is
 *   replaced once its lease expires); it returns `null` when another holder has it.
 * - `waitForRelease` resolves when the key is released (waiters are woken, not polling), when the
 *   holder's lease runs out, or after `timeoutMs`, whichever comes first. It resolves at once when
 *   nobody holds the key.
 * - `leaseMs`, when set, is the lease the lock was configured with; callers use it as their default.
 *
 * @see {@link runExclusive} for the protocol built on it
 */
export interface RefreshLock {
  /** Take the lock for `leaseMs` (renewed while held); `null` when another holder has it. */
  acquire(key: string, leaseMs: number): Promise<LockLease | null>
  /** Resolve when `key` is released, its holder's lease runs out, or after `timeoutMs`. */
  waitForRelease(key: string, timeoutMs: number): Promise<void>
  /** The lease the lock was configured with (ms); callers use it as their default. */
  readonly leaseMs?: number
  /** `false` for a lock only this process sees. Default (absent): shared. */
  readonly shared?: boolean
}
