/**
 * The async tmux client: sessions, windows, panes addressed by id (`%N`), paste, capture, and
 * per-pane output notifications from control mode. Nothing here knows about agents.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from './control.js';
import { tmuxExec, TmuxError } from './exec.js';
import { keyedSerial } from './serial.js';

export const DEFAULT_SIZE = { width: 200, height: 50 } as const;

export interface PaneRef {
  session: string;
  windowId: string;
  windowName: string;
  paneId: string;
}

export interface NewPaneSpec {
  /** Stored on the window as @cao_id, so the window can be found again by it. */
  tag: string;
  session: string;
  windowName: string;
  cwd: string;
  env: Record<string, string>;
  argv: string[];
  width?: number;
  height?: number;
}

export interface PaneInfo extends PaneRef {
  tag: string;
  dead: boolean;
  /** Exit status of a dead pane's process; null while tmux has not reaped it yet, or if it was killed. */
  deadStatus: number | null;
  deadSignal: number | null;
  currentPath: string;
  pid: number;
}

export interface SessionInfo {
  name: string;
  windows: number;
  /** Clients other than control-mode ones (cao's own watchers). */
  attached: number;
  createdAt: Date;
}

export interface PaneListener {
  /** The pane wrote something. */
  output(): void;
  /** The pane may have died or vanished: re-check it. */
  check(): void;
}

export interface CaptureOptions {
  /** Lines of history above the visible screen to include; 'all' for the whole history. */
  history?: number | 'all';
  /** Keep colour escapes. */
  ansi?: boolean;
}

const SEP = '\u001f';
/** Longer texts (and texts with NUL bytes) are loaded through a tmux process's stdin instead. */
const MAX_CONTROL_TEXT = 256 * 1024;
/** awaitEcho: the paste counts as drawn after this much quiet, or after the timeout. */
const ECHO_QUIET_MS = 50;
const ECHO_TIMEOUT_MS = 2000;
const PANE_FORMAT = ['#{session_name}', '#{window_id}', '#{window_name}', '#{@cao_id}', '#{pane_id}', '#{pane_dead}', '#{pane_dead_status}', '#{pane_dead_signal}', '#{pane_current_path}', '#{pane_pid}'].join(SEP);

/** tmux runs a single-argument command through `sh -c`; two or more arguments are exec'd directly. */
const directArgv = (argv: string[]) => (argv.length === 1 ? ['/usr/bin/env', argv[0]!] : argv);
const envArgs = (env: Record<string, string>) => Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);

export class TmuxClient {
  private readonly controls = new Map<string, ControlClient>();
  private readonly connecting = new Map<string, Promise<ControlClient>>();
  private readonly listeners = new Map<string, Set<PaneListener>>();
  private readonly paneSession = new Map<string, string>();
  private readonly serial = keyedSerial();

  constructor(readonly socket: string | undefined) {}

  exec(args: string[], input?: string): Promise<string> {
    return tmuxExec(this.socket, args, { input });
  }

  async version(): Promise<string> {
    return (await tmuxExec(undefined, ['-V'])).trim();
  }

  async hasSession(name: string): Promise<boolean> {
    try {
      await this.exec(['has-session', '-t', `=${name}`]);
      return true;
    } catch (e) {
      if (e instanceof TmuxError) return false;
      throw e;
    }
  }

  async listSessions(): Promise<SessionInfo[]> {
    let out: string;
    try {
      out = await this.exec(['list-sessions', '-F', ['#{session_name}', '#{session_windows}', '#{session_created}'].join(SEP)]);
    } catch (e) {
      if (e instanceof TmuxError && e.isMissing) return [];
      throw e;
    }
    const clients = await this.listClients();
    return lines(out).map((l) => {
      const [name = '', windows, created] = l.split(SEP);
      return {
        name,
        windows: Number(windows),
        attached: clients.filter((c) => c.session === name && !c.control).length,
        createdAt: new Date(Number(created) * 1000),
      };
    });
  }

  private async listClients(): Promise<{ session: string; control: boolean }[]> {
    try {
      const out = await this.exec(['list-clients', '-F', `#{client_session}${SEP}#{client_control_mode}`]);
      return lines(out).map((l) => {
        const [session = '', control] = l.split(SEP);
        return { session, control: control === '1' };
      });
    } catch {
      return [];
    }
  }

  async listPanes(): Promise<PaneInfo[]> {
    try {
      return lines(await this.exec(['list-panes', '-a', '-F', PANE_FORMAT])).flatMap((l) => parsePane(l) ?? []);
    } catch (e) {
      if (e instanceof TmuxError && e.isMissing) return [];
      throw e;
    }
  }

  /** The pane's state, or undefined when it no longer exists. */
  async paneInfo(paneId: string): Promise<PaneInfo | undefined> {
    try {
      const [line] = await this.command(['display-message', '-p', '-t', paneId, PANE_FORMAT]);
      return line ? parsePane(line) : undefined;
    } catch (e) {
      if (e instanceof TmuxError) return undefined;
      throw e;
    }
  }

  /**
   * Create a detached session whose first window runs `argv`.
   *
   * Topology changes (sessions and windows created or killed) and our control clients attaching
   * and detaching run one at a time, in the 'topology' queue. tmux 3.3a segfaults in
   * control_write() when a notification (a session or window appearing or closing) reaches a
   * control client that is still attaching or already detaching (its control state is NULL then):
   * 3 sessions created in parallel with their watchers killed the tmux server, and every agent in
   * it, within ~20 rounds; serialised, 0 crashes in 360 rounds. It also keeps parallel
   * `new-session` calls from each starting a server when none runs.
   */
  newSession(spec: NewPaneSpec): Promise<PaneRef> {
    return this.serial('topology', async () => {
      try {
        return await this.createSession(spec);
      } catch (e) {
        // The last session just closed and its server is exiting (tmux's exit-empty): we talked to a
        // dying server, which created nothing. A second try starts a new one.
        if (e instanceof TmuxError && /server exited unexpectedly|lost server/.test(e.stderr)) return this.createSession(spec);
        throw e;
      }
    });
  }

  private async createSession(spec: NewPaneSpec): Promise<PaneRef> {
    const { width, height } = { ...DEFAULT_SIZE, ...spec };
    const win = `=${spec.session}:=${spec.windowName}`;
    const out = await this.exec([
      'new-session', '-d', '-s', spec.session, '-n', spec.windowName, '-c', spec.cwd,
      '-x', String(width), '-y', String(height), ...envArgs(spec.env),
      '-P', '-F', '#{window_id} #{pane_id}', '--', ...directArgv(spec.argv),
      ';', 'set-option', '-w', '-t', win, 'remain-on-exit', 'on',
      ';', 'set-option', '-w', '-t', win, 'automatic-rename', 'off',
      ';', 'set-option', '-w', '-t', win, '@cao_id', spec.tag,
      ';', 'resize-window', '-t', win, '-x', String(width), '-y', String(height),
      // -e on new-session also sets the session environment: keep the id out of later windows.
      ';', 'set-environment', '-t', `=${spec.session}`, '-u', 'CAO_TERMINAL_ID',
    ]);
    return this.paneRef(spec, out);
  }

  /** Add a window running `argv` to an existing session. */
  newWindow(spec: NewPaneSpec): Promise<PaneRef> {
    return this.serial('topology', () => this.createWindow(spec));
  }

  private async createWindow(spec: NewPaneSpec): Promise<PaneRef> {
    const { width, height } = { ...DEFAULT_SIZE, ...spec };
    const win = `=${spec.session}:=${spec.windowName}`;
    const out = await this.exec([
      'new-window', '-d', '-t', `=${spec.session}:`, '-n', spec.windowName, '-c', spec.cwd, ...envArgs(spec.env),
      '-P', '-F', '#{window_id} #{pane_id}', '--', ...directArgv(spec.argv),
      ';', 'set-option', '-w', '-t', win, 'remain-on-exit', 'on',
      ';', 'set-option', '-w', '-t', win, 'automatic-rename', 'off',
      ';', 'set-option', '-w', '-t', win, '@cao_id', spec.tag,
      ';', 'resize-window', '-t', win, '-x', String(width), '-y', String(height),
    ]);
    return this.paneRef(spec, out);
  }

  private paneRef(spec: NewPaneSpec, out: string): PaneRef {
    const [windowId = '', paneId = ''] = out.trim().split(' ');
    if (!/^@\d+$/.test(windowId) || !/^%\d+$/.test(paneId)) throw new TmuxError(['new-window'], `unexpected reply: ${out}`, 0);
    return { session: spec.session, windowId, windowName: spec.windowName, paneId };
  }

  /**
   * Make the tmux server reap exited children. Some tmux builds (with libutempter) can miss the
   * SIGCHLD of a pane's process, leaving it a zombie and the pane's exit status unknown; any
   * child of the server that exits makes it reap them all.
   */
  async reapChildren(): Promise<void> {
    await this.command(['run-shell', 'true']).catch(() => undefined);
  }

  async killSession(name: string): Promise<void> {
    // tmux 3.3a can crash (segfault) when a session is killed while a control client is attached
    // to it and its panes are writing: detach ours first.
    await this.detach(name);
    await this.serial('topology', () => this.ignoreMissing(this.exec(['kill-session', '-t', `=${name}`])));
  }

  async killWindow(windowId: string): Promise<void> {
    await this.serial('topology', () => this.ignoreMissing(this.exec(['kill-window', '-t', windowId])));
  }

  /** Stop this tmux server (tests, the demo). tmux 3.3 leaves its socket file behind: remove it. */
  async killServer(): Promise<void> {
    await this.closeControls();
    await this.ignoreMissing(this.exec(['kill-server']));
    if (this.socket) rmSync(join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, this.socket), { force: true });
  }

  /** The rendered screen of a pane (wrapped lines joined), optionally with history above it. */
  async capture(paneId: string, o: CaptureOptions = {}): Promise<string> {
    const args = ['capture-pane', '-p', '-J', '-t', paneId];
    if (o.history !== undefined) args.push('-S', o.history === 'all' ? '-' : String(-Math.max(0, o.history)));
    if (o.ansi) args.push('-e');
    return (await this.command(args)).join('\n');
  }

  /** Paste text as one bracketed paste, then press the given keys (e.g. Enter). */
  pasteText(paneId: string, text: string, o: { bracketed?: boolean; keys?: string[]; awaitEcho?: boolean } = {}): Promise<void> {
    return this.serial(paneId, async () => {
      const buffer = `cao-${paneId.slice(1)}`;
      const paste = ['paste-buffer', '-d', ...(o.bracketed === false ? [] : ['-p']), '-b', buffer, '-t', paneId];
      const keys = (o.keys ?? []).map((key) => ['send-keys', '-t', paneId, key]);
      if (o.awaitEcho && keys.length > 0) {
        const drawn = this.outputSettled(paneId, ECHO_QUIET_MS, ECHO_TIMEOUT_MS);
        await this.pasteNow(text, buffer, paste, []);
        await drawn;
        for (const k of keys) await this.command(k);
        return;
      }
      await this.pasteNow(text, buffer, paste, keys);
    });
  }

  /** Load the text into a buffer, paste it, press keys: through the open control connection when possible. */
  private async pasteNow(text: string, buffer: string, paste: string[], keys: string[][]): Promise<void> {
    const control = [...this.controls.values()].find((c) => c.isOpen);
    if (control && !text.includes('\0') && text.length <= MAX_CONTROL_TEXT) {
      // ~0.06 ms instead of a ~4 ms tmux process per message.
      await Promise.all([control.command(['set-buffer', '-b', buffer, '--', text]), control.command(paste), ...keys.map((k) => control.command(k))]);
      return;
    }
    await this.exec(['load-buffer', '-b', buffer, '-', ';', ...paste, ...keys.flatMap((k) => [';', ...k])], text);
  }

  /** Resolves once a watched pane wrote output and then stayed quiet for `quietMs` (or after `timeoutMs`). */
  private outputSettled(paneId: string, quietMs: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let quiet: NodeJS.Timeout | undefined;
      const listeners = this.listeners.get(paneId);
      const done = () => {
        clearTimeout(quiet);
        clearTimeout(deadline);
        listeners?.delete(l);
        resolve();
      };
      const l: PaneListener = {
        output: () => {
          clearTimeout(quiet);
          quiet = setTimeout(done, quietMs);
        },
        check: () => undefined,
      };
      const deadline = setTimeout(done, timeoutMs);
      if (listeners) listeners.add(l);
      else done();
    });
  }

  /** Press keys by tmux name (`Enter`, `C-c`, `Escape`, …) without typing text. */
  sendKeys(paneId: string, keys: string[]): Promise<void> {
    return this.serial(paneId, async () => {
      await this.exec(['send-keys', '-t', paneId, ...keys]);
    });
  }

  /**
   * Listen to one pane: `output` on every burst it writes, `check` when it may have died or its
   * session may be gone. Returns the unsubscribe function.
   */
  watchPane(session: string, paneId: string, l: PaneListener): () => void {
    let set = this.listeners.get(paneId);
    if (!set) this.listeners.set(paneId, (set = new Set()));
    set.add(l);
    this.paneSession.set(paneId, session);
    this.control(session).catch(() => l.check());
    return () => {
      set!.delete(l);
      if (set!.size === 0) {
        this.listeners.delete(paneId);
        this.paneSession.delete(paneId);
        this.releaseIdle(session);
      }
    };
  }

  async closeControls(): Promise<void> {
    await Promise.all([...this.controls.values()].map((c) => c.close()));
    this.controls.clear();
  }

  /** Run a command through any open control client (sub-millisecond), else spawn tmux. */
  private command(args: string[]): Promise<string[]> {
    for (const c of this.controls.values()) if (c.isOpen) return c.command(args);
    return this.exec(args).then((out) => out.replace(/\n$/, '').split('\n'));
  }

  private control(session: string): Promise<ControlClient> {
    const open = this.controls.get(session);
    if (open?.isOpen) return Promise.resolve(open);
    let p = this.connecting.get(session);
    if (!p) {
      p = this.connect(session).finally(() => this.connecting.delete(session));
      this.connecting.set(session, p);
    }
    return p;
  }

  private connect(session: string): Promise<ControlClient> {
    return this.serial('topology', () => this.attach(session));
  }

  private async attach(session: string): Promise<ControlClient> {
    const c = new ControlClient(this.socket, session);
    c.on('output', (pane) => this.listeners.get(pane)?.forEach((l) => l.output()));
    c.on('notification', (line) => this.onNotification(session, line));
    c.on('exit', () => {
      if (this.controls.get(session) === c) this.controls.delete(session);
      this.checkSession(session);
    });
    await c.ready;
    this.controls.set(session, c);
    // One notification per second at most, whenever a pane of this session dies.
    // The value changes again when tmux learns the exit status, which it may do after the pane died.
    await c.command(['refresh-client', '-B', 'caodead:%*:#{pane_dead}/#{pane_dead_status}/#{pane_dead_signal}']).catch(() => undefined);
    return c;
  }

  private onNotification(session: string, line: string): void {
    if (line.startsWith('%subscription-changed caodead ')) {
      const m = /(%\d+) : 1\//.exec(line);
      if (m) this.listeners.get(m[1]!)?.forEach((l) => l.check());
    } else if (/^%(unlinked-)?window-close|^%sessions-changed/.test(line)) {
      this.checkSession(session);
    }
  }

  private checkSession(session: string): void {
    for (const [pane, s] of this.paneSession) if (s === session) this.listeners.get(pane)?.forEach((l) => l.check());
  }

  private releaseIdle(session: string): void {
    if (![...this.paneSession.values()].includes(session)) void this.detach(session);
  }

  /**
   * Close our control client of a session (if any) and wait until it has gone. A topology job: it
   * runs after any attach or detach queued before it, so an earlier close has finished.
   */
  private detach(session: string): Promise<void> {
    const c = this.controls.get(session);
    this.controls.delete(session);
    const connecting = this.connecting.get(session);
    return this.serial('topology', () => Promise.all([c?.close(), connecting?.then((late) => late.close(), () => undefined)]).then(() => undefined));
  }

  private async ignoreMissing(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (e) {
      if (!(e instanceof TmuxError && e.isMissing)) throw e;
    }
  }
}

const lines = (out: string) => out.split('\n').filter((l) => l.length > 0);

const optionalNumber = (s: string | undefined) => (s ? Number(s) : null);

function parsePane(line: string): PaneInfo | undefined {
  const [session = '', windowId = '', windowName = '', tag = '', paneId = '', dead, deadStatus, deadSignal, currentPath = '', pid] = line.split(SEP);
  if (!/^%\d+$/.test(paneId)) return undefined;
  return {
    session, windowId, windowName, tag, paneId,
    dead: dead === '1',
    deadStatus: optionalNumber(deadStatus),
    deadSignal: optionalNumber(deadSignal),
    currentPath,
    pid: Number(pid),
  };
}
