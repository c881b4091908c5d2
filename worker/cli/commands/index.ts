// One line per command file. Keep alphabetical; each issue adds its own.
import type { Command } from 'commander';
import { registerDb } from './db.ts';

export function registerCommands(_program: Command): void {
  // commands are added here as they land
  registerDb(_program);
}
