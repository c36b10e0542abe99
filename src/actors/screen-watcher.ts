/**
 * The screen watcher: the I/O half of a terminal actor. tmux tells us a pane wrote something
 * (control-mode %output); after a short quiet period we read the rendered screen with
 * capture-pane, classify it with the provider's pure rules and report changes to the terminal
 * machine. A slow safety re-read catches anything an event missed. It also presses keys for the
 * machine (startup dialogs) and remembers the screen at the start of each turn.
 */
import { fromCallback } from 'xstate';
import type { TerminalEvent, WatcherCommand, WatcherInput } from '../machines/terminal.js';
import { getProvider } from '../providers/registry.js';
import type { ScreenStatus } from '../providers/types.js';
import type { TmuxClient } from '../tmux/client.js';

export interface WatcherTiming {
  /** Quiet period after output before reading the screen. */
  debounceMs: number;
  /** Read at least this often while output keeps coming. */
  maxWaitMs: number;
  /**
   * A pane whose output keeps coming with gaps shorter than `streamGapMs` for `streamingAfterMs`
   * is read at most every `streamingIntervalMs`. A 10 Hz spinner is not streaming: throttling it
   * would delay every completed turn by up to the interval.
   */
  streamGapMs: number;
  streamingAfterMs: number;
  streamingIntervalMs: number;
  /** Safety re-read of an otherwise silent pane. */
  safetyMs: number;
}

export const DEFAULT_TIMING: WatcherTiming = {
  debounceMs: 15,
  maxWaitMs: 250,
  streamGapMs: 50,
  streamingAfterMs: 1000,
  streamingIntervalMs: 100,
  safetyMs: 5000,
};

export interface WatcherDeps {
  tmux: TmuxClient;
  timing?: Partial<WatcherTiming>;
  /** Called with every screen read (used by the last-screen cache and tests). */
  onScreen?: (terminalId: string, screen: string) => void;
  log?: (msg: string) => void;
}

export const screenWatcher = (deps: WatcherDeps) =>
  fromCallback<WatcherCommand, WatcherInput>(({ input, sendBack, receive }) => {
    const t = { ...DEFAULT_TIMING, ...deps.timing };
    const provider = getProvider(input.provider);
    const send = (e: TerminalEvent) => sendBack(e);
    let stopped = false;
    let screen: string | null = null;
    let baseline: string | null = null;
    let reported: string | null = null;
    let timer: NodeJS.Timeout | undefined;
    let burstStart = 0;
    let streamStart = 0;
    let lastOutput = 0;
    let lastRead = 0;
    let reading = false;
    let readAgain = false;
    let exited = false;

    const read = async () => {
      if (stopped || exited) return;
      if (reading) {
        readAgain = true;
        return;
      }
      reading = true;
      lastRead = performance.now();
      try {
        const next = await deps.tmux.capture(input.paneId);
        if (!stopped) judge(next);
      } catch {
        void check();
      } finally {
        reading = false;
        if (readAgain && !stopped) {
          readAgain = false;
          void read();
        }
      }
    };

    const judge = (next: string) => {
      deps.onScreen?.(input.terminalId, next);
      if (next === screen) return;
      screen = next;
      const status: ScreenStatus = provider.classify(next);
      const fresh = baseline === null || next !== baseline;
      const dialogIndex = provider.startupDialogs.findIndex((d) => d.pattern.test(next));
      const dialog = dialogIndex === -1 ? undefined : dialogIndex;
      const typed = (provider.typedInput?.(next) ?? '') !== '';
      const key = `${status}|${fresh}|${dialog}|${typed}`;
      if (key === reported) return;
      reported = key;
      send({ type: 'SCREEN', status, fresh, dialog, ...(typed ? { typed } : {}) });
    };

    const onOutput = () => {
      const now = performance.now();
      if (now - lastOutput > t.streamGapMs) streamStart = now; // a new burst after a pause
      lastOutput = now;
      if (!timer) burstStart = now;
      clearTimeout(timer);
      const streaming = now - streamStart > t.streamingAfterMs;
      const wait = Math.max(
        Math.min(t.debounceMs, burstStart + t.maxWaitMs - now),
        streaming ? lastRead + t.streamingIntervalMs - now : 0,
        0,
      );
      timer = setTimeout(() => {
        timer = undefined;
        void read();
      }, wait);
    };

    /** Is the pane still there and alive? If not, the terminal has exited. */
    const check = async (attempt = 0): Promise<void> => {
      if (stopped || exited) return;
      const info = await deps.tmux.paneInfo(input.paneId).catch(() => undefined);
      if (stopped || exited) return;
      if (!info) {
        exited = true;
        send({ type: 'EXITED', code: null, reason: 'the tmux window was closed' });
        return;
      }
      if (!info.dead) return;
      // tmux sees the pty close before it reaps the process: give it a moment to learn the status.
      if (info.deadStatus === null && info.deadSignal === null && attempt < 6) {
        if (attempt === 1) await deps.tmux.reapChildren();
        setTimeout(() => void check(attempt + 1), 50 * 2 ** attempt); // up to ~3 s in all
        return;
      }
      exited = true;
      // remain-on-exit keeps the last screen capturable: keep it for whoever asks why.
      await deps.tmux.capture(info.paneId).then((s) => deps.onScreen?.(input.terminalId, s)).catch(() => undefined);
      const how = info.deadSignal !== null ? `was killed by signal ${info.deadSignal}` : `exited with status ${info.deadStatus ?? 'unknown'}`;
      send({ type: 'EXITED', code: info.deadStatus, reason: `the agent ${how}` });
    };

    receive((cmd) => {
      if (cmd.type === 'TURN') {
        baseline = screen;
        reported = null;
        lastOutput = 0; // the new turn's output is a new burst
      } else if (cmd.type === 'PRESS' && cmd.keys.length > 0) {
        if (cmd.why) deps.log?.(`${input.terminalId}: ${cmd.why}`);
        deps.tmux.sendKeys(input.paneId, cmd.keys).catch((e: Error) => deps.log?.(`pressing keys in ${input.paneId}: ${e.message}`));
      }
    });

    const unwatch = deps.tmux.watchPane(input.session, input.paneId, { output: onOutput, check: () => void check() });
    const safety = setInterval(() => {
      void read();
      void check();
    }, t.safetyMs);
    safety.unref();
    void check().then(read);

    return () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(safety);
      unwatch();
    };
  });
