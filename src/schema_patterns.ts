/**
 * Patterns executors may give in their argument schemas that the checks word in plain
 * language rather than as a regular expression. A module of its own, so that an executor
 * naming one does not load the schema validation with it.
 *
 * @module
 */

/**
 * A string a process receives (a command line): no NUL character, which no command line or
 * environment can hold.
 */
export const NO_NUL_PATTERN = "^[^\\u0000]*$";
