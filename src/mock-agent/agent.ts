/**
 * The mock agent: behaves like an agent CLI in a terminal (banner, prompt, spinner while it works,
 * a response marker, y/n permission questions, errors) so cao can be run and tested with no model.
 * Screen grammar (what src/providers/mock.ts classifies):
 *
 *   ❯ <input>                      submitted input (continuation lines indented two spaces)
 *   ⠋ Working… (1s · esc to interrupt)   while working (redrawn in place)
 *   ● <answer line>                answer (continuation lines indented two spaces)
 *   ✗ Error: <message>             the turn failed
 *   ■ Interrupted                  the user interrupted the turn
 *   ⚙ server - tool(args)          an MCP tool call, its result below after "  ⎿  "
 *   · note                         progress notes of a scripted turn
 *     … message                    progress of a running MCP tool call (dim)
 *   ? <question>                   permission question, followed by the line
 *     Allow? [y/n]
 *   ❯                              the prompt (ready for input)
 */
import { appendFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { KeyReader, flushPending, type Key } from './keys.js';
import { builtinSteps, compileRules, oneLine, render, renderArgs, type CompiledRule, type Script, type Step, type TemplateVars } from './script.js';

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const SPIN_MS = 100;

const c = {
  dim: (s: string) => `\u001b[2m${s}\u001b[22m`,
  bold: (s: string) => `\u001b[1m${s}\u001b[22m`,
  cyan: (s: string) => `\u001b[36m${s}\u001b[39m`,
  red: (s: string) => `\u001b[31m${s}\u001b[39m`,
  yellow: (s: string) => `\u001b[33m${s}\u001b[39m`,
  green: (s: string) => `\u001b[32m${s}\u001b[39m`,
};

/**
 * Calls an MCP tool and returns its text; supplied by the MCP client when the agent has MCP servers
 * configured. `onProgress` receives the tool's progress messages while it runs.
 */
export type ToolCaller = (
  server: string,
  tool: string,
  args: Record<string, unknown>,
  signal: AbortSignal,
  onProgress?: (message: string) => void,
) => Promise<string>;

export interface MockAgentOptions {
  input: Readable;
  output: Writable;
  script: Script;
  profile: string;
  cwd: string;
  version: string;
  yolo: boolean;
  env: NodeJS.ProcessEnv;
  /** Append a JSON line per finished turn (benchmarks measure detection latency from it). */
  traceFile?: string;
  callTool?: ToolCaller;
  /** Structured data of the last tool call (MCP structuredContent), for {{result.FIELD}}. */
  lastToolData?: () => unknown;
  /** Lines shown under the banner at start (e.g. a broken MCP config). */
  notices?: string[];
  onExit(code: number): void;
}

type Mode = 'starting' | 'trust' | 'prompt' | 'working' | 'asking' | 'exited';

class Interrupted extends Error {}
class Denied extends Error {}

export class MockAgent {
  private mode: Mode = 'starting';
  private buffer = '';
  private turn = 0;
  private readonly keys = new KeyReader();
  private readonly rules: CompiledRule[];
  private answer: ((yes: boolean) => void) | null = null;
  private abort: AbortController | null = null;
  private spinner: NodeJS.Timeout | null = null;
  private spinnerStarted = 0;
  private escTimer: NodeJS.Timeout | null = null;
  private lastInterrupt = 0;
  /** Until then, Enter does not submit (startup.earlyInput); set when the first prompt shows. */
  private earlyUntil: number | undefined;

  constructor(private readonly o: MockAgentOptions) {
    this.rules = compileRules(o.script);
  }

  start(): void {
    this.o.input.setEncoding?.('utf8');
    this.o.input.on('data', (d: string | Buffer) => this.onData(String(d)));
    this.write('\u001b[?2004h'); // bracketed paste on
    this.banner();
    const { delay, trust } = this.o.script.startup;
    setTimeout(() => (trust ? this.askTrust() : this.showPrompt()), delay);
  }

  private write(s: string): void {
    this.o.output.write(s);
  }

  private banner(): void {
    const width = 60;
    const line = (s: string) => `│ ${s.padEnd(width - 4)} │`;
    this.write(
      [
        c.cyan(`╭${'─'.repeat(width - 2)}╮`),
        c.cyan(line(`✻ cao mock agent ${this.o.version}`)),
        c.cyan(line(`profile: ${oneLine(this.o.profile, 40)}`)),
        c.cyan(line(`cwd: ${oneLine(this.o.cwd, 50)}`)),
        c.cyan(`╰${'─'.repeat(width - 2)}╯`),
        c.dim('  Words steer me: delay=MS · ask · fail · /exit to quit'),
        ...(this.o.notices ?? []).map((n) => c.yellow(`  ${oneLine(n, 400)}`)),
        '',
        '',
      ].join('\r\n'),
    );
  }

  private askTrust(): void {
    this.mode = 'trust';
    this.write(`${c.yellow('Do you trust the files in this folder?')}\r\n  ${this.o.cwd}\r\nTrust this folder? [y/n] `);
  }

  private showPrompt(): void {
    this.earlyUntil ??= Date.now() + this.o.script.startup.earlyInput;
    this.mode = 'prompt';
    this.buffer = '';
    this.drawPromptLine();
  }

  private drawPromptLine(): void {
    const shown = this.buffer.replace(/\n/g, ' ⏎ ');
    const max = 180;
    this.write(`\r\u001b[2K${c.bold('❯')} ${shown.length > max ? `…${shown.slice(-(max - 1))}` : shown}`);
  }

  private onData(d: string): void {
    if (this.escTimer) clearTimeout(this.escTimer);
    for (const k of this.keys.feed(d)) this.onKey(k);
    if (this.keys.hasPending) this.escTimer = setTimeout(() => flushPending(this.keys).forEach((k) => this.onKey(k)), 30);
  }

  private onKey(k: Key): void {
    switch (this.mode) {
      case 'trust':
        if (k.type === 'text' && /^[yY]/.test(k.text)) {
          this.write('y\r\n\r\n');
          this.showPrompt();
        } else if ((k.type === 'text' && /^[nN]/.test(k.text)) || k.type === 'interrupt') this.exit(1, 'Not trusted.');
        return;
      case 'asking':
        if (k.type === 'text' && /^[yY]/.test(k.text)) this.answer?.(true);
        else if ((k.type === 'text' && /^[nN]/.test(k.text)) || k.type === 'escape') this.answer?.(false);
        else if (k.type === 'interrupt') this.abort?.abort();
        return;
      case 'working':
        if (k.type === 'interrupt' || k.type === 'escape') this.abort?.abort();
        return; // typing while the agent works is not buffered
      case 'prompt':
        return this.onPromptKey(k);
      default:
        return;
    }
  }

  private onPromptKey(k: Key): void {
    if (k.type === 'text' || k.type === 'paste') this.buffer += k.text;
    else if (k.type === 'backspace') this.buffer = [...this.buffer].slice(0, -1).join('');
    else if (k.type === 'eof' && this.buffer === '') return this.exit(0, 'Bye.');
    else if (k.type === 'interrupt') {
      if (this.buffer !== '') this.buffer = '';
      else if (Date.now() - this.lastInterrupt < 2000) return this.exit(0, 'Bye.');
      else {
        this.lastInterrupt = Date.now();
        this.write(`\r\u001b[2K${c.dim('(press Ctrl-C again to exit)')}\r\n`);
      }
    } else if (k.type === 'enter') {
      if (Date.now() < (this.earlyUntil ?? 0)) return; // dropped: the text stays in the prompt
      const input = this.buffer.trim();
      if (input === '') return;
      if (input === '/exit' || input === '/quit') return this.exit(0, 'Bye.');
      void this.runTurn(input);
      return;
    }
    this.drawPromptLine();
  }

  private async runTurn(input: string): Promise<void> {
    this.turn += 1;
    this.mode = 'working';
    const [first, ...rest] = input.split('\n');
    this.write(`\r\u001b[2K${c.bold('❯')} ${first}${rest.map((l) => `\r\n  ${l}`).join('')}\r\n`);
    this.abort = new AbortController();
    const { steps, match } = this.stepsFor(input);
    const vars: TemplateVars = {
      input, result: '', turn: this.turn, profile: this.o.profile,
      terminalId: this.o.env.CAO_TERMINAL_ID ?? '', match, env: this.o.env,
    };
    try {
      for (const step of steps) await this.runStep(step, vars, this.abort.signal);
    } catch (e) {
      this.stopSpinner();
      if (e instanceof Denied) this.write(`${c.green('●')} Permission denied, so I stopped here.\r\n`);
      else if (e instanceof Interrupted || this.abort.signal.aborted) this.write(`${c.yellow('■ Interrupted')}\r\n`);
      else this.write(`${c.red(`✗ Error: ${(e as Error).message}`)}\r\n`);
    }
    this.stopSpinner();
    this.abort = null;
    this.write('\r\n');
    this.showPrompt();
    this.trace();
  }

  private stepsFor(input: string): { steps: Step[]; match: string[] } {
    for (const r of this.rules) {
      const m = r.pattern.exec(input);
      if (m) return { steps: r.steps, match: [...m] };
    }
    return { steps: builtinSteps(input, this.o.script.defaultDelay), match: [] };
  }

  private async runStep(step: Step, v: TemplateVars, signal: AbortSignal): Promise<void> {
    if ('work' in step) {
      this.startSpinner();
      await sleep(step.work, signal);
    } else if ('ask' in step) {
      this.stopSpinner();
      if (!(await this.ask(render(step.ask, v)))) throw new Denied();
    } else if ('call' in step) {
      this.stopSpinner();
      const args = renderArgs(step.call.args, v) as Record<string, unknown>;
      this.write(`${c.cyan('⚙')} ${step.call.server} - ${step.call.tool}(${oneLine(JSON.stringify(args), 120)})\r\n`);
      if (!this.o.callTool) throw new Error(`no MCP server '${step.call.server}' is configured`);
      this.startSpinner();
      v.result = await this.o.callTool(step.call.server, step.call.tool, args, signal, (m) => this.progressLine(m));
      v.resultData = this.o.lastToolData?.();
      this.stopSpinner();
      this.write(`  ⎿  ${oneLine(v.result, 150)}\r\n`);
    } else if ('say' in step) {
      this.stopSpinner();
      this.write(`${c.dim(`· ${render(step.say, v)}`)}\r\n`);
    } else if ('reply' in step) {
      this.stopSpinner();
      const [first, ...rest] = render(step.reply, v).split('\n');
      this.write(`${c.green('●')} ${first}${rest.map((l) => `\r\n  ${l}`).join('')}\r\n`);
    } else {
      throw new Error(render(step.fail, v));
    }
  }

  private ask(question: string): Promise<boolean> {
    this.write(`${c.yellow('?')} ${question}\r\n  Allow? [y/n] `);
    if (this.o.yolo) {
      this.write('y (yolo)\r\n');
      return Promise.resolve(true);
    }
    this.mode = 'asking';
    return new Promise((resolve, reject) => {
      const signal = this.abort!.signal;
      const onAbort = () => reject(new Interrupted());
      signal.addEventListener('abort', onAbort, { once: true });
      this.answer = (yes) => {
        signal.removeEventListener('abort', onAbort);
        this.answer = null;
        this.mode = 'working';
        this.write(`${yes ? 'y' : 'n'}\r\n`);
        resolve(yes);
      };
    });
  }

  /** A progress line of a running tool call, printed above the spinner. */
  private progressLine(message: string): void {
    if (this.mode !== 'working') return;
    const spinning = this.spinner !== null;
    const started = this.spinnerStarted;
    this.stopSpinner();
    this.write(`${c.dim(`  … ${oneLine(message, 150)}`)}\r\n`);
    if (spinning) this.startSpinner(started);
  }

  private startSpinner(started = Date.now()): void {
    if (this.spinner) return;
    this.spinnerStarted = started;
    let i = 0;
    const draw = () => {
      const secs = Math.floor((Date.now() - started) / 1000);
      this.write(`\r\u001b[2K${c.cyan(SPINNER[i++ % SPINNER.length]!)} Working… ${c.dim(`(${secs}s · esc to interrupt)`)}`);
    };
    draw();
    this.spinner = setInterval(draw, SPIN_MS);
  }

  private stopSpinner(): void {
    if (!this.spinner) return;
    clearInterval(this.spinner);
    this.spinner = null;
    this.write('\r\u001b[2K');
  }

  private trace(): void {
    if (!this.o.traceFile) return;
    appendFileSync(this.o.traceFile, `${JSON.stringify({ event: 'turn-done', terminal_id: this.o.env.CAO_TERMINAL_ID ?? null, turn: this.turn, t: performance.timeOrigin + performance.now() })}\n`);
  }

  private exit(code: number, message: string): void {
    if (this.mode === 'exited') return;
    this.mode = 'exited';
    this.stopSpinner();
    this.write(`\r\n${message}\r\n\u001b[?2004l`);
    this.o.onExit(code);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Interrupted());
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Interrupted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
