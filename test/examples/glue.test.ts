/**
 * Each example's glue stays within a few lines of the Express example's: counted in `createApp`
 * (routes and protection; the HTML, env parsing and start-up live in examples/shared), as lines
 * of its body and as lines that use the stack's adapter.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const STACKS = ['express', 'express4', 'koa', 'fastify', 'hono', 'node'] as const

/** Lines of `createApp`'s body, and how many of them use an import from `oidc-session/<x>`. */
function glue(stack: string): { body: number; adapter: number } {
  const source = readFileSync(
    join(import.meta.dirname, '..', '..', 'examples', stack, 'app.ts'),
    'utf8',
  )
  const imported = /import \{([^}]*)\} from 'oidc-session\/[a-z]+'/.exec(source)?.[1] ?? ''
  const names = imported
    .split(',')
    .map((name) => name.replace(/^\s*type\s+/, '').trim())
    .filter(Boolean)
  const start = source.indexOf('export function createApp(')
  const body = source
    .slice(source.indexOf('\n', start) + 1, source.indexOf('\n}', start))
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('//'))
  const uses = body.filter((line) => names.some((name) => new RegExp(`\\b${name}\\b`).test(line)))
  return { body: body.length, adapter: uses.length }
}

describe('example glue', () => {
  it('is within a few lines of the Express example’s on every stack', () => {
    const counts = Object.fromEntries(STACKS.map((stack) => [stack, glue(stack)]))
    console.log(
      `glue lines (createApp body / lines using the adapter): ${STACKS.map((s) => `${s} ${counts[s]!.body}/${counts[s]!.adapter}`).join(', ')}`,
    )
    const express = counts.express!
    for (const stack of STACKS) {
      expect(counts[stack]!.adapter, stack).toBeGreaterThan(0)
      expect(counts[stack]!.adapter, stack).toBeLessThanOrEqual(express.adapter + 2)
      expect(counts[stack]!.body, stack).toBeLessThanOrEqual(express.body + 3)
    }
  })
})
