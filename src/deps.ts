/**
 * The project's third-party modules, pinned with full `npm:` specifiers.
 *
 * Every other file imports them from here, so the library resolves the same way when
 * `mod.ts` is imported by URL from outside this repository (where our `deno.json`
 * import map does not apply) as it does in a checkout.
 *
 * @module
 */

export {
  type Node as JsonNode,
  parse as parseJsonc,
  type ParseError as JsonParseError,
  parseTree as parseJsonTree,
  printParseErrorCode,
} from "npm:jsonc-parser@3.3.1";
export { Ajv, type ErrorObject, type ValidateFunction } from "npm:ajv@8.20.0";
export { Command, CommanderError, Option } from "npm:@commander-js/extra-typings@15.1.0";
// The runtime helper that the precompiled task-file validator (tasks_validator.generated.ts) calls.
export { default as ajvRuntimeUcs2length } from "npm:ajv@8.20.0/dist/runtime/ucs2length.js";
