/**
 * The Codex provider: screen rules checked against real Codex 0.171 screens
 * (test/fixtures/screens/codex, see its README), the launch spec, and the TOML it writes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_HANDOFF_TIMEOUT_S } from '../../../src/handoff-limits.js';
import { DEFAULT_TIMING } from '../../../src/mcp/tools.js';
import { PACKAGE_ROOT } from '../../../src/package.js';
import { parseProfile } from '../../../src/profiles/schema.js';
import {
  classifyCodex,
  CODEX_TOOL_TIMEOUT_SEC,
  codexMcpTable,
  codexProvider,
  codexServerName,
  extractCodexAnswer,
  launchCodex,
} from '../../../src/providers/codex.js';
import { TomlRaw, tomlFloat, tomlInlineTable, tomlKey, tomlString, tomlValue } from '../../../src/providers/toml.js';
import type { LaunchContext } from '../../../src/providers/types.js';
import { describeScreenFixtures, itExtractsAnswers, screenFixtures, tailFrom } from '../../helpers/screens.js';
import { launchContext } from '../../helpers/launch-context.js';

const fx = screenFixtures('codex');
const { dir: DIR, files, screen, statusOf } = fx;
const ESC = '\u001b';

// ------------------------------------------------------------------------------------------------
// A small reader of the TOML values cao writes (strings, numbers, booleans, arrays, inline tables),
// so the tests check what Codex will read, not the text cao happened to produce.

function parseToml(text: string): unknown {
  let i = 0;
  const ws = () => {
    while (i < text.length && /[ \t]/.test(text[i]!)) i++;
  };
  const expect_ = (c: string) => {
    ws();
    if (text[i] !== c) throw new Error(`expected ${c} at ${i} in ${text}`);
    i++;
  };
  const str = (): string => {
    expect_('"');
    let out = '';
    for (;;) {
      const c = text[i++];
      if (c === undefined) throw new Error('unterminated string');
      if (c === '"') return out;
      if (c.charCodeAt(0) < 0x20 || c === '\u007f') throw new Error(`raw control character ${c.charCodeAt(0)} in a basic string`);
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[i++];
      const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === 'u') {
        out += String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
        i += 4;
      } else throw new Error(`bad escape \\${e}`);
    }
  };
  const key = (): string => {
    ws();
    if (text[i] === '"') return str();
    const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i));
    if (!m) throw new Error(`bad key at ${i} in ${text}`);
    i += m[0].length;
    return m[0];
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '"') return str();
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') return i++, arr;
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') i++;
        else return expect_(']'), arr;
      }
    }
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') return i++, obj;
      for (;;) {
        const k = key();
        expect_('=');
        obj[k] = value();
        ws();
        if (text[i] === ',') i++;
        else return expect_('}'), obj;
      }
    }
    const m = /^(true|false|[+-]?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!m) throw new Error(`bad value at ${i} in ${text}`);
    i += m[0].length;
    if (m[0] === 'true' || m[0] === 'false') return m[0] === 'true';
    return { float: m[2] !== undefined || m[3] !== undefined, n: Number(m[0]) };
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error(`trailing text at ${i} in ${text}`);
  return v;
}

/** The `-c` overrides of an argv as key → parsed value. */
function overrides(argv: string[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  argv.forEach((a, i) => {
    if (a !== '-c') return;
    const kv = argv[i + 1]!;
    const eq = kv.indexOf('=');
    out.set(kv.slice(0, eq), parseToml(kv.slice(eq + 1)));
  });
  return out;
}

const TRICKY = 'He said "hi" \\ then\nleft.\tTab, C:\\path\\, \u0001 bell\u0007, del\u007f, émoji 🎉, \'single\', ${HOME} $(rm -rf) `x` ; | &';

// ------------------------------------------------------------------------------------------------

describeScreenFixtures(fx, 'classifyCodex on real screens', classifyCodex);

describe('classifyCodex on variants of real screens', () => {
  it('gives the same status when the capture keeps colours (capture-pane -e)', () => {
    const colour = (s: string) =>
      s
        .replace(/^([•◦■✔✗⚠›])/gm, `${ESC}[1m${ESC}[36m$1${ESC}[39m${ESC}[22m`)
        .replace(/(Worked for [^\n]*)/g, `${ESC}[2m$1${ESC}[22m`)
        .replace(/(esc to interrupt)/g, `${ESC}[2m$1${ESC}[0m`)
        .replace(/^( {2}\S)/gm, `${ESC}[0m$1`);
    for (const f of files) expect(classifyCodex(colour(readFileSync(`${DIR}${f}`, 'utf8'))), f).toBe(statusOf(f));
  });

  it('judges the last turn when its prompt has scrolled out of view', () => {
    expect(classifyCodex(tailFrom(screen('completed.16'), /^• Tool finished/))).toBe('completed');
    expect(classifyCodex(tailFrom(screen('completed.16'), /^ {2}Output:/))).toBe('completed');
    expect(classifyCodex(tailFrom(screen('processing.15'), /^• Tool finished/))).toBe('processing');
    expect(classifyCodex(tailFrom(screen('processing.11'), /^ {2}Wall time/))).toBe('processing');
    expect(classifyCodex(tailFrom(screen('error.4'), /^■ /))).toBe('error');
    expect(classifyCodex(tailFrom(screen('idle.9'), /^■ Conversation interrupted/))).toBe('idle');
    expect(classifyCodex(tailFrom(screen('processing.9'), /Reconnecting/))).toBe('processing');
  });

  it('is processing on a blank screen, or while the TUI has drawn no composer yet', () => {
    expect(classifyCodex('')).toBe('processing');
    expect(classifyCodex('\n\n\n')).toBe('processing');
    const banner = screen('idle.7')
      .split('\n')
      .filter((l) => !l.startsWith('›'))
      .join('\n');
    expect(classifyCodex(banner)).toBe('processing');
  });

  it('is idle above an empty composer only with the banner on screen; without it, answer rows mean a long turn', () => {
    expect(classifyCodex(screen('idle.7'))).toBe('idle');
    const rows = screen('idle.7').replace(/^ {2}>_ OpenAI Codex.*$/m, '  more of a long answer');
    expect(classifyCodex(rows)).toBe('processing');
  });

  it('is not fooled by the status line, which repeats the thread\'s first prompt', () => {
    // A first prompt that quotes a form's key hint or the busy row, shown in the status line.
    for (const words of ['Press enter to confirm or esc to cancel', 'enter to submit | esc to cancel', '• Working (3s • esc to interrupt)', '■ Conversation interrupted']) {
      const raw = screen('completed.10').replace('· Say hello delay=4000 tag=p1', `· ${words}`);
      expect(raw).toContain(words);
      expect(classifyCodex(raw), words).toBe('completed');
      expect(extractCodexAnswer(raw)).toBe('Hello from the fake model (reply #4). [p1]');
    }
  });

  it('is not fooled by a draft in the composer', () => {
    for (const draft of ['■ boom', 'esc to interrupt)', 'Worked for 3s', 'Would you like to run the following command?']) {
      const raw = screen('completed.17').replace('› a draft the user has not sent yet', `› ${draft}`);
      expect(classifyCodex(raw), draft).toBe('completed');
    }
    const idle = screen('idle.7').replace('› Ask Codex to do anything', '› Worked for 3s');
    expect(classifyCodex(idle)).toBe('idle');
  });

  it('ignores answers, errors and questions of older turns', () => {
    // An old error above a completed turn, and an old interrupted turn above a working one.
    expect(screen('completed.13')).toContain('■ {"error"');
    expect(classifyCodex(screen('completed.13'))).toBe('completed');
    expect(screen('processing.8')).toContain('■ Conversation interrupted');
    expect(classifyCodex(screen('processing.8'))).toBe('processing');
    // Answered approvals stay in the transcript only as ✔ lines.
    expect(screen('completed.14')).toContain('✔ You approved codex to run');
    expect(classifyCodex(screen('completed.14'))).toBe('completed');
  });

  it('an answer line that starts like the end of a turn does not end it', () => {
    const streaming = screen('processing.15').replace(/(• Tool finished[^\n]*\n)/, '$1  Worked for three companies before.\n  Worked for 3 days • 20:32\n');
    expect(classifyCodex(streaming)).toBe('processing');
    // The real end marks, as Codex 0.171 and older versions draw them.
    for (const end of ['  Worked for <1s • 23:56', '  Worked for 1m 02s • 8:05 PM', '─ Worked for 1h 2m 3s ─────', '  Worked for 12s']) {
      expect(classifyCodex(screen('processing.15').replace(/(• Tool finished[^\n]*\n)/, `$1\n${end}\n`)), end).toBe('completed');
    }
  });

  it('a turn with only a warning after its end is still completed', () => {
    const raw = screen('completed.10').replace(/( {2}Worked for [^\n]*\n)/, '$1\n⚠ Heads up: a notice after the turn.\n');
    expect(classifyCodex(raw)).toBe('completed');
    expect(extractCodexAnswer(raw)).toBe('Hello from the fake model (reply #4). [p1]');
  });
});

describe('extractCodexAnswer on real screens', () => {
  const multiLine = [
    'Tool finished. Result was: Chunk ID: b67990',
    'Wall time: 0.0000 seconds',
    'Process exited with code 0',
    'Original token count: 15',
    'Output:',
    'line one',
    '',
    'line three',
    'indented four',
    '• bullet-like five',
  ].join('\n');
  const cases: [string, string][] = [
    ['completed.1', 'Hello from the fake model (reply #1).'],
    ['completed.2', 'Hello from the fake model (reply #1). [t1]'],
    // The approved command's cell is not part of the answer; the `└ Tip:` row drawn into it is dropped.
    ['completed.3', 'Tool finished. Result was: Chunk ID: 353b58\nWall time: 0.0000 seconds\nProcess exited with code 0\nOriginal token count: 0\nOutput:'],
    ['completed.4', 'Tool finished. Result was: Chunk ID: fb21ed\nWall time: 0.0000 seconds\nProcess exited with code 0\nOriginal token count: 3\nOutput:\ndone-touch'],
    ['completed.5', 'Tool finished. Result was: Chunk ID: 817015\nWall time: 5.9251 seconds\nProcess exited with code 0\nOriginal token count: 2\nOutput:\nslept'],
    ['completed.7', 'Tool finished. Result was: [{"type":"input_text","text":"Wall time: 0.1015 seconds\\nOutput:"},{"type":"input_text","text":"fake_echo says: mcpok58093"}]'],
    ['completed.8', "Here's the fix with updated tests.\n\nAll tests now pass."],
    ['completed.9', "Sure, here's a snippet:\n\n```\ndef add(a, b):\n    return a + b\n```\n\nLet me know if you need more details."],
    ['completed.10', 'Hello from the fake model (reply #4). [p1]'],
    ['completed.11', 'Hello from the fake model (reply #6). [m2]'],
    ['completed.12', 'Hello from the fake model (reply #8). [a2]'],
    // The older turn's error is not the last turn.
    ['completed.13', 'Hello from the fake model (reply #10). [r1]'],
    ['completed.14', 'Tool finished. Result was: Chunk ID: ba2885\nWall time: 0.0000 seconds\nProcess exited with code 0\nOriginal token count: 2\nOutput:\nmade-x'],
    ['completed.15', 'Tool finished. Result was: [{"type":"input_text","text":"Wall time: 2.0016 seconds\\nOutput:"},{"type":"input_text","text":"user cancelled MCP tool call"}]'],
    // Blank line kept, `•` inside the answer kept, the command's own cell left out.
    ['completed.16', multiLine],
    // An unsent draft changes nothing.
    ['completed.17', multiLine],
    ['completed.18', 'Hello from the fake model (reply #58). [q1]'],
    ['completed.20', 'Hello from the fake model (reply #62). [big1]'],
    ['completed.21', 'Tool finished. Result was: [{"type":"input_text","text":"Wall time: 6.8574 seconds\\nOutput:"},{"type":"input_text","text":"fake_echo says: hello-mcp"}]'],
    // The whole history (`output?mode=last` reads it): the last turn only.
    ['completed.22', 'Hello from the fake model (reply #66).'],
    ['completed.23', 'Hello from the fake model (reply #62). [big1]'],
    ['completed.24', 'Hello from the fake model (reply #67). [long1]'],
  ];
  itExtractsAnswers(fx, extractCodexAnswer, cases);

  it('completed.19: lines Codex wrapped itself come back as separate lines (a known limit)', () => {
    const answer = extractCodexAnswer(screen('completed.19'))!;
    expect(answer.startsWith('Tool finished. Result was: [{"type":"input_text","text":"Wall time: 0.0061 seconds')).toBe(true);
    expect(answer.endsWith('word007\nword008 word009 word010 word011')).toBe(true);
    // Not the MCP call cell above it, even though its header is alone on its line.
    expect(answer).not.toContain('Called');
  });

  it('has no answer while the turn runs, even if the answer is already drawn', () => {
    for (const f of files.filter((f) => statusOf(f) === 'processing')) expect(extractCodexAnswer(readFileSync(`${DIR}${f}`, 'utf8')), f).toBeUndefined();
    expect(screen('processing.15')).toContain('fake_echo says: hello-mcp');
  });

  it('has no answer when the last turn failed or was interrupted, even if an older turn answered', () => {
    for (const f of files.filter((f) => statusOf(f) === 'error')) expect(extractCodexAnswer(readFileSync(`${DIR}${f}`, 'utf8')), f).toBeUndefined();
    for (const name of ['idle.5', 'idle.9', 'idle.10']) expect(extractCodexAnswer(screen(name)), name).toBeUndefined();
  });

  it('has no answer on a fresh screen or while a question is open', () => {
    for (const name of ['idle.1', 'idle.6', 'idle.7', 'idle.8', 'idle.11']) expect(extractCodexAnswer(screen(name)), name).toBeUndefined();
    for (const f of files.filter((f) => statusOf(f) === 'waiting_user_answer')) expect(extractCodexAnswer(readFileSync(`${DIR}${f}`, 'utf8')), f).toBeUndefined();
    expect(extractCodexAnswer('')).toBeUndefined();
  });

  it('keeps what the model said before its last tool call when it said nothing after it', () => {
    const raw = screen('completed.10').replace(
      /• Hello from the fake model \(reply #4\)\. \[p1\]\n/,
      '• I will list the files.\n  Then report.\n\n• Ran ls\n  └ a.txt\n',
    );
    expect(classifyCodex(raw)).toBe('completed');
    expect(extractCodexAnswer(raw)).toBe('I will list the files.\nThen report.');
  });

  it('joins the messages after the last tool call and leaves earlier ones out', () => {
    const raw = screen('completed.10').replace(
      /• Hello from the fake model \(reply #4\)\. \[p1\]\n/,
      '• Checking first.\n\n• Explored\n  └ Read a.txt\n\n• Part one.\n\n  - item\n\n• Part two.\n',
    );
    expect(extractCodexAnswer(raw)).toBe('Part one.\n\n- item\n\nPart two.');
  });

  it('reads through colours and CRLF', () => {
    const raw = screen('completed.16')
      .replace(/^([•›])/gm, `${ESC}[1m$1${ESC}[22m`)
      .replace(/\n/g, '\r\n');
    expect(extractCodexAnswer(raw)).toBe(multiLine);
  });
});

// ------------------------------------------------------------------------------------------------

const profile = (text: string) => parseProfile(text, 'p');
const ctx = (over: Partial<LaunchContext> = {}, text = '---\nname: p\n---\n') =>
  launchContext({ profile: profile(text), workingDirectory: '/home/dev/my.project', terminalDir: '/cao/terminals/ab12cd34', env: {}, ...over });
const launch = (c: LaunchContext) => launchCodex(c);
const caoBin = join(PACKAGE_ROOT, 'bin', 'cao.js');

describe('launchCodex', () => {
  it('with no profile extras: inline mode, no daemon, no update check, the folder trusted; nothing written', () => {
    const spec = launch(ctx());
    expect(spec.argv).toEqual([
      'codex',
      '--no-alt-screen',
      '--no-daemon',
      '-c',
      'features.daemon_auto_start=false',
      '-c',
      'check_for_update_on_startup=false',
      '-c',
      'projects={ "/home/dev/my.project" = { trust_level = "trusted" } }',
    ]);
    expect(spec.env).toEqual({});
    expect(spec.files).toEqual([]);
    expect(overrides(spec.argv).get('projects')).toEqual({ '/home/dev/my.project': { trust_level: 'trusted' } });
  });

  it('is argv, not a shell line: every option and value is its own element', () => {
    const spec = launch(ctx({ yolo: true }, `---\nname: p\nmodel: o3\n---\n${TRICKY}`));
    expect(spec.argv[0]).toBe('codex');
    for (let i = 0; i < spec.argv.length; i++) {
      if (spec.argv[i] === '-c') expect(spec.argv[i + 1]).toMatch(/^[A-Za-z0-9_.-]+=/);
    }
    expect(spec.argv).toContain('--dangerously-bypass-approvals-and-sandbox');
  });

  it('passes the profile body as developer instructions, exactly, whatever it contains', () => {
    const spec = launch(ctx({}, `---\nname: p\n---\n${TRICKY}`));
    const i = spec.argv.findIndex((a) => a.startsWith('developer_instructions='));
    expect(spec.argv[i - 1]).toBe('-c');
    expect(overrides(spec.argv).get('developer_instructions')).toBe(TRICKY);
    // One argv element, one line: TOML escapes the newline.
    expect(spec.argv[i]).not.toContain('\n');
  });

  it('uses the `prompt` field when the body is empty, and sets nothing without either', () => {
    expect(overrides(launch(ctx({}, '---\nname: p\nprompt: Be brief.\n---\n')).argv).get('developer_instructions')).toBe('Be brief.');
    expect(overrides(launch(ctx()).argv).has('developer_instructions')).toBe(false);
  });

  it('passes the model with --model', () => {
    const argv = launch(ctx({}, '---\nname: p\nmodel: gpt-5.2-codex\n---\n')).argv;
    expect(argv.slice(argv.indexOf('--model'), argv.indexOf('--model') + 2)).toEqual(['--model', 'gpt-5.2-codex']);
    expect(launch(ctx()).argv).not.toContain('--model');
  });

  it('bypasses approvals and the sandbox only with yolo', () => {
    expect(launch(ctx({ yolo: true })).argv).toContain('--dangerously-bypass-approvals-and-sandbox');
    const plain = launch(ctx({ yolo: false })).argv;
    expect(plain.some((a) => /bypass|approval|--ask-for-approval|^-a$|--sandbox|^-s$|approve-for-me/.test(a))).toBe(false);
  });

  it('trusts a working directory whose path has dots, quotes or spaces', () => {
    const dir = '/home/me/my "odd".dir/with space\\x';
    expect(overrides(launch(ctx({ workingDirectory: dir })).argv).get('projects')).toEqual({ [dir]: { trust_level: 'trusted' } });
  });

  it('adds the profile MCP servers with the terminal id, cao\'s address and a long tool timeout', () => {
    const spec = launch(
      ctx(
        {},
        [
          '---',
          'name: p',
          'mcpServers:',
          '  cao-mcp-server:',
          '    type: stdio',
          '    command: cao',
          '    args: ["mcp-server"]',
          '  files:',
          '    command: npx',
          `    args: ["-y", ${JSON.stringify(TRICKY)}]`,
          `    env: { TOKEN: ${JSON.stringify(TRICKY)} }`,
          '---',
          'body',
        ].join('\n'),
      ),
    );
    const o = overrides(spec.argv);
    expect(o.get('mcp_servers.cao-mcp-server')).toEqual({
      command: process.execPath,
      args: [caoBin, 'mcp-server'],
      env: { CAO_API_HOST: '127.0.0.1', CAO_API_PORT: '9889', CAO_TERMINAL_ID: 'ab12cd34' },
      tool_timeout_sec: { float: true, n: CODEX_TOOL_TIMEOUT_SEC },
      default_tools_approval_mode: 'approve',
    });
    expect(o.get('mcp_servers.files')).toEqual({
      command: 'npx',
      args: ['-y', TRICKY],
      env: { CAO_TERMINAL_ID: 'ab12cd34', TOKEN: TRICKY },
      tool_timeout_sec: { float: true, n: CODEX_TOOL_TIMEOUT_SEC },
    });
    // The servers come before the flags that are not -c overrides; nothing else was added.
    expect(spec.files).toEqual([]);
  });

  it('keeps a profile\'s own tool timeout (as a float) and approval mode', () => {
    const o = overrides(
      launch(
        ctx(
          {},
          '---\nname: p\nmcpServers:\n  cao:\n    command: cao\n    args: ["mcp-server"]\n    tool_timeout_sec: 600\n    startup_timeout_sec: 12.5\n    default_tools_approval_mode: prompt\n---\n',
        ),
      ).argv,
    );
    expect(o.get('mcp_servers.cao')).toMatchObject({
      tool_timeout_sec: { float: true, n: 600 },
      startup_timeout_sec: { float: true, n: 12.5 },
      default_tools_approval_mode: 'prompt',
    });
  });

  it('a tool timeout longer than the longest handoff the MCP tool waits for', () => {
    expect(CODEX_TOOL_TIMEOUT_SEC).toBeGreaterThan(MAX_HANDOFF_TIMEOUT_S + (DEFAULT_TIMING.graceMs + DEFAULT_TIMING.cancelTimeoutMs) / 1000);
  });

  it('makes server names safe for a dotted -c path', () => {
    expect(codexServerName('cao-mcp_server1')).toBe('cao-mcp_server1');
    expect(codexServerName('my.server name=x')).toBe('my_server_name_x');
    const o = overrides(launch(ctx({}, '---\nname: p\nmcpServers:\n  "my.server":\n    command: node\n---\n')).argv);
    expect([...o.keys()].filter((k) => k.startsWith('mcp_servers.'))).toEqual(['mcp_servers.my_server']);
  });

  it('writes only keys Codex understands, with the types it wants', () => {
    const table = (s: Record<string, unknown>) => parseToml(codexMcpTable(s));
    // Copilot's `tools: ["*"]`, Kiro's `timeout` (ms) and `type` are left out; `disabled` becomes `enabled`.
    expect(table({ type: 'stdio', command: 'node', args: ['x'], tools: ['*'], timeout: 120000, disabled: true, autoApprove: ['a'] })).toEqual({
      command: 'node',
      args: ['x'],
      enabled: false,
      tool_timeout_sec: { float: true, n: CODEX_TOOL_TIMEOUT_SEC },
    });
    // An HTTP server gets no env (Codex refuses it there); Claude-style `headers` become http_headers.
    expect(table({ type: 'http', url: 'http://127.0.0.1:1/mcp', headers: { 'X-Key': 'v"1' }, env: { A: '1' } })).toEqual({
      url: 'http://127.0.0.1:1/mcp',
      http_headers: { 'X-Key': 'v"1' },
      tool_timeout_sec: { float: true, n: CODEX_TOOL_TIMEOUT_SEC },
    });
    expect(table({ command: 'node', enabled_tools: ['a', 'b'], env_vars: ['HOME'], cwd: '/x', tools: { a: { approval_mode: 'approve' } } })).toMatchObject({
      enabled_tools: ['a', 'b'],
      env_vars: ['HOME'],
      cwd: '/x',
      tools: { a: { approval_mode: 'approve' } },
    });
  });

  it('adds nothing to the environment: CODEX_HOME, if set, reaches Codex as it is', () => {
    expect(launch(ctx({ env: { CODEX_HOME: '/srv/codex', FAKE_OPENAI_KEY: 'k' } })).env).toEqual({});
    expect(launch(ctx()).argv.join(' ')).not.toContain('CODEX_HOME');
  });
});

describe('toml', () => {
  it('escapes every character a basic string may not hold raw', () => {
    for (let c = 0; c < 0x80; c++) {
      const s = `a${String.fromCharCode(c)}b`;
      expect(parseToml(tomlString(s)), `char ${c}`).toBe(s);
    }
    expect(parseToml(tomlString(TRICKY))).toBe(TRICKY);
    expect(tomlString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
  });

  it('writes keys bare when it can, floats as floats, and nested inline tables on one line', () => {
    expect(tomlKey('trust_level')).toBe('trust_level');
    expect(tomlKey('/a.b')).toBe('"/a.b"');
    expect(tomlFloat(3600)).toBe('3600.0');
    expect(tomlFloat(12.5)).toBe('12.5');
    expect(tomlFloat(1e21)).toBe('1e+21');
    expect(() => tomlFloat(Number.NaN)).toThrow();
    expect(tomlValue([1, 2.5, true, 'x'])).toBe('[1, 2.5, true, "x"]');
    const nested = tomlInlineTable({ 'a.b': { c: ['x', 'y\n'] }, t: new TomlRaw('1.0'), e: {} });
    expect(nested).not.toContain('\n');
    expect(parseToml(nested)).toEqual({ 'a.b': { c: ['x', 'y\n'] }, t: { float: true, n: 1 }, e: {} });
  });
});

describe('codexProvider', () => {
  it('is supported and uses these screen rules', () => {
    expect(codexProvider.supported).toBe(true);
    expect(codexProvider.binary).toBe('codex');
    expect(codexProvider.classify).toBe(classifyCodex);
    expect(codexProvider.extractLastMessage).toBe(extractCodexAnswer);
  });

  it('pastes bracketed and submits with Enter; exits with /exit; interrupts with Escape', () => {
    expect(codexProvider.input).toEqual({ bracketed: true, submitKeys: ['Enter'] });
    expect(codexProvider.exit).toEqual({ text: '/exit' });
    expect(codexProvider.interruptKeys).toEqual(['Escape']);
  });

  it('answers the trust dialog with Enter and closes the warnings list with Escape, and nothing else', () => {
    const dialog = (name: string) => codexProvider.startupDialogs.find((d) => d.pattern.test(screen(name)));
    expect(dialog('waiting_user_answer.11')?.keys).toEqual(['Enter']);
    for (const name of ['waiting_user_answer.5', 'waiting_user_answer.6', 'waiting_user_answer.13']) expect(dialog(name)?.keys, name).toEqual(['Escape']);
    // Approvals, MCP questions and the login screen are the user's to answer.
    for (const name of ['waiting_user_answer.1', 'waiting_user_answer.3', 'waiting_user_answer.9', 'waiting_user_answer.10', 'waiting_user_answer.12']) {
      expect(dialog(name), name).toBeUndefined();
    }
    for (const f of files.filter((f) => statusOf(f) !== 'waiting_user_answer')) expect(codexProvider.startupDialogs.some((d) => d.pattern.test(readFileSync(`${DIR}${f}`, 'utf8'))), f).toBe(false);
  });

  it('launches through launchCodex', () => {
    expect(codexProvider.launch(ctx()).argv.slice(0, 3)).toEqual(['codex', '--no-alt-screen', '--no-daemon']);
  });
});
