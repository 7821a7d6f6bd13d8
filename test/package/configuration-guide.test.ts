/**
 * The configuration reference (docs/guides/configuration.md) names every option of
 * `createOidcSession`: each property of `OidcSessionConfig`, and each property of its sections
 * (`client.id`, `refresh.leewaySeconds`, …), read from the type itself — so an option cannot be
 * added without its row.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const guide = readFileSync(join(root, 'docs/guides/configuration.md'), 'utf8')
/** Sections whose own properties are options (the others are objects the user builds: stores, hooks). */
const SECTIONS = new Set([
  'client',
  'cookies',
  'routes',
  'session',
  'refresh',
  'http',
  'logout',
  'resources',
  'classify',
  'silentLogin',
])

it('names every option of createOidcSession', () => {
  const file = join(root, 'src/config.ts')
  const program = ts.createProgram({
    rootNames: [file],
    options: { strict: true, exactOptionalPropertyTypes: true, noEmit: true },
  })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(file)!
  const config = source.statements.find(
    (s): s is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(s) && s.name.text === 'OidcSessionConfig',
  )!
  const names: string[] = []
  for (const property of checker.getTypeAtLocation(config).getProperties()) {
    if (!SECTIONS.has(property.name)) {
      names.push(property.name)
      continue
    }
    const type = checker.getNonNullableType(checker.getTypeOfSymbol(property))
    for (const inner of type.getProperties()) names.push(`${property.name}.${inner.name}`)
  }
  expect(names.length).toBeGreaterThan(50)
  expect(names.filter((name) => !guide.includes(`\`${name}\``))).toEqual([])
})
