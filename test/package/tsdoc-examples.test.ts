/**
 * Every method of `OidcSession` and every value an adapter subpath exports carries an `@example`
 * in its TSDoc (what the API reference and editors show), so new methods and exports cannot land
 * without one.
 */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const ADAPTERS = ['express', 'koa', 'fastify', 'hono', 'node', 'next']
const entries = ADAPTERS.map((name) => join(root, 'src/adapters', name, 'index.ts'))
const types = join(root, 'src/session/types.ts')

const configPath = join(root, 'tsconfig.test.json')
const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path))
const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, {}, configPath)
const program = ts.createProgram({
  rootNames: [...entries, types],
  options: { ...parsed.options, noEmit: true },
})
const checker = program.getTypeChecker()

const hasExample = (declarations: readonly ts.Declaration[] | undefined) =>
  (declarations ?? []).some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'example'))

describe('@example in the TSDoc', () => {
  it('on every OidcSession method', () => {
    const file = program.getSourceFile(types)!
    const session = file.statements.find(
      (s): s is ts.InterfaceDeclaration =>
        ts.isInterfaceDeclaration(s) && s.name.text === 'OidcSession',
    )!
    const methods = session.members.filter(ts.isMethodSignature)
    expect(methods.length).toBeGreaterThanOrEqual(11)
    const missing = methods.filter((m) => !hasExample([m])).map((m) => m.name.getText(file))
    expect(missing).toEqual([])
  })

  for (const [i, entry] of entries.entries()) {
    it(`on every value oidc-session/${ADAPTERS[i]} exports`, () => {
      const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!
      const values = checker.getExportsOfModule(module).flatMap((exported) => {
        const symbol =
          exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
        if (!(symbol.flags & ts.SymbolFlags.Value)) return []
        return [{ name: exported.name, symbol }]
      })
      expect(values.length).toBeGreaterThan(0)
      const missing = values
        .filter(({ symbol }) => !hasExample(symbol.declarations))
        .map(({ name }) => name)
      expect(missing).toEqual([])
    })
  }
})
