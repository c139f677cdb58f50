/**
 * Asking whether a permission is granted, without asking the user for it.
 *
 * @module
 */

/**
 * Whether `descriptor` is granted already. Queried, never requested: a request would prompt a
 * user on a terminal. A descriptor this Deno cannot query counts as granted, so that what
 * needs it goes on and meets the runtime's own answer (an error its caller handles).
 */
export function isGranted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return true;
  }
}

/**
 * The environment variable `name`, or `undefined` when it is unset or dagrun may not read it
 * (queried, never asked for: a request would stop the run at a prompt on a terminal).
 */
export function environmentVariable(name: string): string | undefined {
  return isGranted({ name: "env", variable: name }) ? Deno.env.get(name) : undefined;
}

/**
 * Whether `DAGRUN_DEBUG` asks for an internal error's stack. Read only when it may be: without
 * `--allow-env`, Deno would prompt on a terminal after the error line, and wait for an answer.
 */
export function debugRequested(): boolean {
  return Boolean(environmentVariable("DAGRUN_DEBUG"));
}
