import { Command } from 'clipanion';
import { CaoCommand } from '../../base.js';
import { cell, when } from './format.js';

export class FlowListCommand extends CaoCommand {
  static paths = [['flow', 'list']];
  static usage = Command.Usage({ description: 'List flows with their schedule, last and next run, and last outcome' });

  async run(): Promise<void> {
    const flows = await this.api().listFlows();
    if (flows.length === 0) {
      this.out('No flows found');
      return;
    }
    const cols: [string, number][] = [['Name', 20], ['Schedule', 16], ['Agent', 16], ['Last Run', 18], ['Next Run', 18], ['Enabled', 9], ['Last outcome', 30]];
    this.out(cols.map(([h, w]) => cell(h, w)).join('').trimEnd());
    this.out('-'.repeat(cols.reduce((n, [, w]) => n + w, 0)));
    for (const f of flows) {
      const last = f.runs[0];
      const outcome = last ? `${last.outcome}${last.error ? `: ${last.error}` : ''}` : '';
      const row = [f.name, f.schedule, f.agent_profile, when(f.last_run, 'Never'), when(f.next_run), f.enabled ? 'Yes' : 'No', outcome];
      this.out(row.map((v, i) => cell(v, cols[i]![1])).join('').trimEnd());
    }
  }
}
