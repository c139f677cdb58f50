/**
 * ajv, pinned, with ajv-formats for the `format`s of JSON Schema (email, uri, date-time…):
 * loaded only to compile a schema at run time (`--schema`, plugins' argument schemas),
 * through `loadAjv()` in `src/deps.ts`. Both in this one module: imported apart, Deno may
 * resolve ajv-formats' peer ajv to a second copy it has not installed.
 *
 * @module
 */

export { Ajv, type ErrorObject, type ValidateFunction } from "npm:ajv@8.20.0";
/** ajv-formats, a CommonJS module: its plugin function is this export's `default`. */
export { default as ajvFormats } from "npm:ajv-formats@3.0.1";
