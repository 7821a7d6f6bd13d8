/**
 * Validation of secret lists (`secrets: [current, ...previous]`), shared by the manager and the
 * stores that derive keys from them.
 *
 * @module
 */
import { invalidArg } from '../errors.js'

/**
 * Validate secrets: a string, or a non-empty list of strings, each at least 32 characters long.
 *
 * @param value the option as given
 * @param name the option's name, for the error message
 * @returns a frozen copy, current secret first
 * @throws TypeError `ERR_INVALID_ARG_VALUE` / `ERR_INVALID_ARG_TYPE`
 * @example
 * ```ts
 * const secrets = validateSecrets([process.env.SESSION_SECRET, process.env.OLD_SECRET])
 * ```
 */
export function validateSecrets(value: unknown, name = 'secrets'): readonly string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) {
    throw invalidArg(
      `"${name}" must be a string or a non-empty array of strings`,
      'ERR_INVALID_ARG_TYPE',
    )
  }
  for (const secret of list) {
    if (typeof secret !== 'string')
      throw invalidArg(`"${name}" must contain strings only`, 'ERR_INVALID_ARG_TYPE')
    if (secret.length < 32)
      throw invalidArg(`every entry of "${name}" must be at least 32 characters long`)
  }
  return Object.freeze([...(list as string[])])
}
