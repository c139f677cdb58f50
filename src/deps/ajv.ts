/**
 * ajv, pinned: loaded only to compile a schema at run time (`--schema`, plugins' argument
 * schemas), through `loadAjv()` in `src/deps.ts`.
 *
 * @module
 */

export { Ajv, type ErrorObject, type ValidateFunction } from "npm:ajv@8.20.0";
