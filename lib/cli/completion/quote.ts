/**
 * @module
 * Quoting for the generated shell scripts: descriptions come from the command definitions and
 * may hold quotes, brackets, colons or backslashes.
 */

/** One single-quoted word for bash and zsh. */
export const shellWord = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`

/** One single-quoted word for fish, where a backslash inside single quotes escapes. */
export const fishWord = (text: string): string => `'${text.replace(/[\\']/g, '\\$&')}'`

/** Text for a zsh `_arguments` spec or `_describe` entry, where `[`, `]` and `:` are syntax. */
export const zshSpecText = (text: string): string => text.replace(/[\\[\]:]/g, '\\$&')
