import type { Command } from '../cli';
import { dashboardCommand } from './dashboard';
import { importCommand } from './import';
import { keysCommands } from './keys';
import { loginCommand } from './login';
import { publishCommands } from './publish';
import { reconcileCommand } from './reconcile';
import { startCommand } from './start';
import { uploadCommand } from './upload';

/** Commands beyond `stack …`: the pipeline runtime and the tools that use it. */
export const commands: Record<string, Command> = {
  start: startCommand,
  ...keysCommands,
  login: loginCommand,
  upload: uploadCommand,
  import: importCommand,
  ...publishCommands,
  dashboard: dashboardCommand,
  reconcile: reconcileCommand,
};
