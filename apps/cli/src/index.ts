export type { CliEvent, CommandContext, CommandDefinition, GlobalArgs, Output } from './command.js';
export {
  describeError,
  EXIT_FAILED,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  exitCodeFor,
  UsageError,
} from './errors.js';
export { main, VERSION } from './main.js';
