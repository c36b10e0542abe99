import { Command } from 'clipanion';
import { mkdirSync } from 'node:fs';
import { homePaths, loadConfig } from '../../config.js';
import { openDb } from '../../store/db.js';
import { CaoCommand } from '../base.js';

export class InitCommand extends CaoCommand {
  static paths = [['init']];
  static usage = Command.Usage({ description: "Create cao's home folder and database (CAO_HOME, default ~/.cao)" });

  async run(): Promise<void> {
    const { home } = loadConfig(this.context.env);
    const p = homePaths(home);
    for (const dir of [home, p.agentStore, p.terminals, p.logs]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const db = await openDb(p.db);
    await db.close();
    this.out(`cao initialized at ${home}`);
    this.out(`  database:    ${p.db}`);
    this.out(`  agent store: ${p.agentStore}`);
  }
}
