/**
 * commander, pinned: loaded only when the command line is more than the fast parser of
 * `src/cli_fast.ts` takes on (help, subcommands, errors, unusual syntax).
 *
 * @module
 */

export {
  Command,
  CommanderError,
  type CommandUnknownOpts,
  Option,
  type OptionValues,
} from "npm:@commander-js/extra-typings@15.1.0";
