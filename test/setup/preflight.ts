/**
 * `npm test` checks, before any test runs, that the machine has what the tests drive for real:
 * Node ≥ 20.19, `redis-server` (Debian package `redis-server`) and Chromium (Debian package
 * `chromium`, at `/usr/bin/chromium` or `CHROMIUM_PATH`). A missing piece fails the run at once
 * with the command that installs it — never a skipped suite.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** What is missing, each with how to get it; empty when the machine is ready. */
export function missingPrerequisites(env: NodeJS.ProcessEnv = process.env): string[] {
  const missing: string[] = []
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  if (major < 20 || (major === 20 && minor < 19))
    missing.push(`Node.js >= 20.19 (this is ${process.versions.node})`)
  const redis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (redis.error || redis.status !== 0)
    missing.push('redis-server: apt-get install -y redis-server (or set REDIS_URL for most tests)')
  const chromium = env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (!existsSync(chromium))
    missing.push(`Chromium at ${chromium}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  return missing
}

/** vitest global setup: refuse to start when a prerequisite is missing. */
export default function preflight(): void {
  const missing = missingPrerequisites()
  if (missing.length === 0) return
  throw new Error(
    `npm test needs, and this machine lacks:\n  - ${missing.join('\n  - ')}\n` +
      'On Debian/Ubuntu: sudo apt-get install -y redis-server chromium (bash .ci/run does it).',
  )
}
