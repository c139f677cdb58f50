/**
 * ajv's classes for JSON Schema drafts 2019-09 and 2020-12, from the same pinned package as
 * `ajv.ts` (so ajv-formats, loaded there, works with them as well): loaded only for a schema
 * whose `"$schema"` names one of those drafts, through `loadAjvDrafts()` in `src/deps.ts`.
 * Apart from `ajv.ts`, since they add about 4 ms to ajv's 30–40 ms of loading, which a schema
 * without `"$schema"` (draft-07, ajv's default) does not need.
 *
 * @module
 */

export { Ajv2019 } from "npm:ajv@8.20.0/dist/2019.js";
export { Ajv2020 } from "npm:ajv@8.20.0/dist/2020.js";
