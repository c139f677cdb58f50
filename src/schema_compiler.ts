/**
 * The ajv instances that compile schemas at run time: a plugin's `argumentsSchema`, a user's
 * `--schema`. Each knows the formats of ajv-formats; a format it does not know is an error,
 * not ajv's warning (printed once per compile, four times for one plugin, while the format
 * was ignored and every value passed). A schema is compiled for the draft its `"$schema"`
 * names: draft-07 (ajv's default, and the one of a schema without `"$schema"`), 2019-09 or
 * 2020-12, each by an instance of its own, as ajv requires (2020-12 is not compatible with
 * the earlier drafts); any other is refused by name rather than with ajv's
 * `no schema with key or ref "…"`.
 *
 * @module
 */

import {
  type AjvExports,
  loadAjv,
  loadAjvDrafts,
  loadedAjv,
  loadedAjvDrafts,
  type ValidateFunction,
} from "./deps.ts";
import { warn } from "./errors.ts";

type AjvInstance = InstanceType<AjvExports["Ajv"]>;

/** A JSON Schema draft dagrun compiles schemas of. */
export type SchemaDraft = "draft-07" | "2019-09" | "2020-12";

/** Each draft's `"$schema"` URI, as it is usually written (a final `#` is optional). */
const DRAFT_URIS: Record<SchemaDraft, string> = {
  "draft-07": "http://json-schema.org/draft-07/schema#",
  "2019-09": "https://json-schema.org/draft/2019-09/schema",
  "2020-12": "https://json-schema.org/draft/2020-12/schema",
};

/**
 * The draft a schema is written for, by its `"$schema"`: draft-07 without one (and for one
 * that is not a string, which ajv refuses in its own words).
 *
 * @throws {Error} for a `"$schema"` naming another draft or meta-schema, on one line:
 * `unsupported "$schema" "…" (supported: draft-07 "http://…", 2019-09 "https://…", …)`.
 */
export function schemaDraft(schema: object): SchemaDraft {
  const uri = (schema as { $schema?: unknown }).$schema;
  if (typeof uri !== "string") return "draft-07";
  const draft = (Object.keys(DRAFT_URIS) as SchemaDraft[])
    .find((name) => uri.replace(/#$/, "") === DRAFT_URIS[name].replace(/#$/, ""));
  if (draft) return draft;
  const supported = Object.entries(DRAFT_URIS)
    .map(([name, known]) => `${name} ${JSON.stringify(known)}`)
    .join(", ");
  throw new Error(`unsupported "$schema" ${JSON.stringify(uri)} (supported: ${supported})`);
}

/**
 * Loads ajv, and its classes for the later drafts only when one of `schemas` is written for
 * one of them: they cost about 4 ms more, which the common schema, without `"$schema"`, is
 * spared. A schema that is not an object, or whose draft is refused, is left for the compile
 * to refuse, with its place.
 */
export async function loadAjvFor(schemas: Iterable<unknown>): Promise<void> {
  await loadAjv();
  for (const schema of schemas) {
    if (schema === null || typeof schema !== "object") continue;
    let draft: SchemaDraft;
    try {
      draft = schemaDraft(schema);
    } catch {
      continue;
    }
    if (draft !== "draft-07") {
      await loadAjvDrafts();
      return;
    }
  }
}

/** The warnings of the compile under way (compiling is synchronous). */
let warnings: string[] = [];
/** Other warnings already printed: each once per process. */
const printed = new Set<string>();

/**
 * A new ajv for `draft`, as dagrun configures it, with the formats. Needs ajv loaded, and for
 * a later draft its classes ({@linkcode loadAjvFor}).
 */
export function createAjv(draft: SchemaDraft = "draft-07"): AjvInstance {
  const { Ajv, ajvFormats } = loadedAjv();
  // The later drafts' classes extend the same core as Ajv, which the formats plugin takes.
  const Class = draft === "2020-12"
    ? loadedAjvDrafts().Ajv2020
    : draft === "2019-09"
    ? loadedAjvDrafts().Ajv2019
    : Ajv;
  const ajv = new Class({
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

const shared = new Map<SchemaDraft, AjvInstance>();

/**
 * The instance for executors' argument schemas of a draft, shared by the plugin loader (which
 * compiles them at load, to refuse a bad one early) and the task check (see `check.ts`).
 */
function argumentsAjv(draft: SchemaDraft): AjvInstance {
  let ajv = shared.get(draft);
  if (!ajv) shared.set(draft, ajv = createAjv(draft));
  return ajv;
}

/**
 * Compiles an executor's `argumentsSchema` with {@linkcode argumentsAjv}: the one check of
 * the plugin loader (at load) and of the task check (a library registry's own executor).
 *
 * @throws {Error} whose message, on one line, follows `executor "TYPE": ` in the caller's:
 * `invalid argumentsSchema: …` (an unsupported `"$schema"` included), or
 * `argumentsSchema must not be "$async"` (its validator would return a promise, which is
 * truthy: every argument would pass).
 */
export function compileArgumentsSchema(schema: object): ValidateFunction {
  try {
    const own = ownInstanceValidators.get(schema);
    if (own) return own;
    const draft = schemaDraft(schema);
    try {
      return compileSchema(argumentsAjv(draft), schema);
    } catch (error) {
      if (!isIdClash(error)) throw error;
      // An `$id` is unique within one ajv, not among executors: two plugins written from one
      // template, or a library's factory making a fresh executor for each run, share one.
      // Such a schema gets an instance of its own (rarely: one costs a few milliseconds).
      const validate = compileSchema(createAjv(draft), schema);
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
