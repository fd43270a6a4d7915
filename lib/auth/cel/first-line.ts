/**
 * @module
 * The first line of an error's message, without loading the CEL evaluator (conditions.ts uses it
 * when evaluating).
 */

/** The first line of an error's message (cel-js adds the expression and a caret below). */
export const firstLine = (error: unknown) => String((error as Error).message ?? error).split('\n')[0]
