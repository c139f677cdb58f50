/**
 * jsonc-parser, pinned: loaded only for text that `JSON.parse` refuses (comments, trailing
 * commas, errors to report), through `loadJsonc()` in `src/deps.ts`.
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
