/**
 * What cao needs to know about one agent CLI. Providers are data plus pure functions: no I/O,
 * no state. The terminal actor and the screen watcher do the I/O around them.
 */
import type { AgentProfile } from '../profiles/schema.js';

export const STATUSES = ['idle', 'processing', 'completed', 'waiting_user_answer', 'error'] as const;
/** What a screen says. */
export type ScreenStatus = (typeof STATUSES)[number];
/** What a terminal is: a screen status, or not yet / no longer running an agent. */
export type TerminalStatus = ScreenStatus | 'starting' | 'exited';

export const PROVIDER_IDS = ['kiro_cli', 'claude_code', 'codex', 'gemini_cli', 'kimi_cli', 'copilot_cli', 'q_cli', 'mock'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];
export const DEFAULT_PROVIDER: ProviderId = 'kiro_cli';

export interface LaunchContext {
  terminalId: string;
  profile: AgentProfile;
  workingDirectory: string;
  /** Folder under CAO_HOME that belongs to this terminal alone (config files go here). */
  terminalDir: string;
  /** Skip the CLI's own permission questions where the CLI allows it. */
  yolo: boolean;
  /**
   * Where cao is (CAO_API_HOST/PORT/TOKEN, CAO_HOME, …). Agents get it in their environment; providers
   * also put it in the environment of the MCP servers they configure, because some CLIs start MCP
   * servers with a reduced environment.
   */
  caoEnv: Record<string, string>;
  /** The environment the agent will get (read only): lets a provider see, say, which API key is in use. */
  env: Record<string, string>;
}

export interface LaunchSpec {
  argv: string[];
  env: Record<string, string>;
  /**
   * Variables the CLI must not see even when cao's (or tmux's) environment has them, e.g. the CI
   * markers that switch a TUI into headless mode. Removed with `env -u` in front of the command,
   * since a tmux pane also inherits the tmux server's global environment.
   */
  unsetEnv?: string[];
  /** Files to write before launch, e.g. per-terminal MCP config. Paths are absolute. */
  files: { path: string; content: string }[];
}

/** A screen the CLI may show while starting, and the keys that answer it. */
export interface StartupDialog {
  name: string;
  pattern: RegExp;
  keys: string[];
}

export interface InputRule {
  /** Send text as a bracketed paste (multi-line text stays one message). */
  bracketed: boolean;
  /** Keys pressed after the paste to submit it. */
  submitKeys: string[];
  /**
   * Press the submit keys only once the pasted text has been drawn (the pane wrote output and then
   * went quiet): for TUIs that drop an Enter arriving together with the paste.
   */
  awaitEcho?: boolean;
}

export type ExitAction = { keys: string[] } | { text: string };

export interface Provider {
  id: ProviderId;
  displayName: string;
  /** Executable looked up on PATH to report whether the CLI is installed. */
  binary: string;
  /** False for CLIs whose support is registered but not built yet. */
  supported: boolean;
  launch(ctx: LaunchContext): LaunchSpec;
  startupDialogs: StartupDialog[];
  /** Classify the visible screen, judged from its bottom. Pure. */
  classify(screen: string): ScreenStatus;
  /** The most recent answer on the screen (with its line breaks), or undefined if there is none. */
  extractLastMessage(screen: string): string | undefined;
  input: InputRule;
  /**
   * The text waiting in the CLI's input box ('' when empty, undefined when no input box is drawn).
   * With it, cao notices a message whose Enter the CLI dropped and presses Enter again.
   */
  typedInput?(screen: string): string | undefined;
  exit: ExitAction;
  /** Keys that interrupt a running turn. */
  interruptKeys: string[];
}
