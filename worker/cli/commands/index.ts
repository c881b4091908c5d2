// One line per command file. Keep alphabetical; each issue adds its own.
import type { Command } from 'commander';
import { registerAccounts } from './accounts.ts';
import { registerChats } from './chats.ts';
import { registerContacts } from './contacts.ts';
import { registerDb } from './db.ts';
import { registerDemo } from './demo.ts';
import { registerDoctor } from './doctor.ts';
import { registerOutreach, registerSchedule } from './outreach.ts';
import { registerPeople } from './people.ts';
import { registerPropose } from './propose.ts';
import { registerRun } from './run.ts';
import { registerSandbox } from './sandbox.ts';
import { registerStatus } from './status.ts';
import { registerSync } from './sync.ts';
import { registerUsers } from './users.ts';
import { registerWeb } from './web.ts';
import { registerWorker } from './worker.ts';

export function registerCommands(program: Command): void {
  registerRun(program);
  registerAccounts(program);
  registerWorker(program);
  registerSync(program);
  registerStatus(program);
  registerDb(program);
  registerDoctor(program);
  registerDemo(program);
  registerSandbox(program);
  registerChats(program);
  registerContacts(program);
  registerPeople(program);
  registerOutreach(program);
  registerPropose(program);
  registerSchedule(program);
  registerWeb(program);
  registerUsers(program);
}
