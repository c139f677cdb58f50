/**
 * The ajv instances that compile schemas at run time: a plugin's `argumentsSchema`, a user's
 * `--schema`. Each knows the formats of ajv-formats; a format it does not know is an error,
 * not ajv's warning (printed once per compile, four times for one plugin, while the format
 * was ignored and every value passed).
 *
 * @module
 */

import { type AjvExports, loadedAjv, type ValidateFunction } from "./deps.ts";
import { warn } from "./errors.ts";

type AjvInstance = InstanceType<AjvExports["Ajv"]>;

/** The warnings of the compile under way (compiling is synchronous). */
let warnings: string[] = [];
/** Other warnings already printed: each once per process. */
const printed = new Set<string>();

/** A new ajv, as dagrun configures it, with the formats. Needs ajv loaded (`loadAjv`). */
export function createAjv(): AjvInstance {
  const { Ajv, ajvFormats } = loadedAjv();
  const ajv = new Ajv({
    allErrors: false,
    strict: false,
    logger: {
      log: () => {},
      warn: (...args: unknown[]) => warnings.push(args.join(" ")),
      error: console.error,
    },
  });
  ajvFormats.default(ajv);
  return ajv;
}

let shared: AjvInstance | undefined;

/**
 * The instance for executors' argument schemas, shared by the plugin loader (which compiles
 * them at load, to refuse a bad one early) and the task check (see `check.ts`).
 */
function argumentsAjv(): AjvInstance {
  return shared ??= createAjv();
}

/**
 * Compiles an executor's `argumentsSchema` with {@linkcode argumentsAjv}: the one check of
 * the plugin loader (at load) and of the task check (a library registry's own executor).
 *
 * @throws {Error} whose message, on one line, follows `executor "TYPE": ` in the caller's:
 * `invalid argumentsSchema: …`, or `argumentsSchema must not be "$async"` (its validator
 * would return a promise, which is truthy: every argument would pass).
 */
export function compileArgumentsSchema(schema: object): ValidateFunction {
  try {
    const own = ownInstanceValidators.get(schema);
    if (own) return own;
    try {
      return compileSchema(argumentsAjv(), schema);
    } catch (error) {
      if (!isIdClash(error)) throw error;
      // An `$id` is unique within one ajv, not among executors: two plugins written from one
      // template, or a library's factory making a fresh executor for each run, share one.
      // Such a schema gets an instance of its own (rarely: one costs a few milliseconds).
      const validate = compileSchema(createAjv(), schema);
      ownInstanceValidators.set(schema, validate);
      return validate;
    }
  } catch (error) {
    if (error instanceof AsyncSchemaError) throw new Error('argumentsSchema must not be "$async"');
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`invalid argumentsSchema: ${message.replaceAll("\n", " ")}`);
  }
}

/** The validators of schemas compiled in an ajv of their own, by schema (see above). */
const ownInstanceValidators = new WeakMap<object, ValidateFunction>();

/** Whether ajv refused a schema for an `$id` (or key) another schema in it already has. */
function isIdClash(error: unknown): boolean {
  return error instanceof Error &&
    /^schema with key or id ".*" already exists$/s.test(error.message);
}

/** A schema compiled to an `"$async"` validator, which {@linkcode compileSchema} refuses. */
class AsyncSchemaError extends Error {
  /** Says so. */
  constructor() {
    super('must not be "$async" (its validator would return a promise, and pass every value)');
    this.name = "AsyncSchemaError";
  }
}

/**
 * Compiles `schema` with `ajv`.
 *
 * @throws {Error} as ajv does for an invalid schema, and for a format ajv does not know:
 * `unknown format "phone" at "#/properties/to" (known: date, …)`, and
 * {@linkcode AsyncSchemaError} for an `"$async"` schema. The schema is then taken
 * out of ajv's cache, so that compiling it again throws again.
 */
export function compileSchema(ajv: AjvInstance, schema: object): ValidateFunction {
  const seen: string[] = warnings = [];
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } finally {
    warnings = [];
  }
  const unknown = seen
    .map((warning) => /^unknown format "(.*)" ignored in schema at path "(.*)"$/.exec(warning))
    .find((match) => match !== null);
  if (unknown) {
    ajv.removeSchema(schema);
    const known = Object.keys(ajv.formats).sort().join(", ");
    throw new Error(
      `unknown format ${JSON.stringify(unknown[1])} at "${unknown[2]}" (known: ${known})`,
    );
  }
  // Its validator returns a promise, which is truthy: every value would pass.
  if ((validate as { $async?: unknown }).$async === true) {
    ajv.removeSchema(schema);
    throw new AsyncSchemaError();
  }
  for (const warning of seen) {
    if (printed.has(warning)) continue;
    printed.add(warning);
    warn(warning);
  }
  return validate;
}
