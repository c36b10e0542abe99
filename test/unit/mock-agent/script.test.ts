import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EMPTY_SCRIPT,
  builtinSteps,
  compileRules,
  loadScript,
  oneLine,
  render,
  renderArgs,
  type TemplateVars,
} from '../../../src/mock-agent/script.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cao-unit-script-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function file(ext: string, text: string): string {
  const p = join(dir, `script-${++n}.${ext}`);
  writeFileSync(p, text);
  return p;
}

describe('loadScript', () => {
  it('loads a YAML script with defaults filled in', () => {
    const p = file(
      'yaml',
      [
        'startup: { trust: true }',
        'rules:',
        '  - match: "^review"',
        '    steps:',
        '      - work: 500',
        '      - ask: "Run the test suite?"',
        '      - call: { server: cao, tool: handoff, args: { agent_profile: reviewer, message: "{{input}}" } }',
        '      - say: "checking"',
        '      - reply: "Review done: {{result}}"',
        '  - match: explode',
        '    fail: simulated crash',
      ].join('\n'),
    );
    expect(loadScript(p)).toEqual({
      startup: { delay: 0, trust: true, earlyInput: 0 },
      defaultDelay: 100,
      rules: [
        {
          match: '^review',
          steps: [
            { work: 500 },
            { ask: 'Run the test suite?' },
            { call: { server: 'cao', tool: 'handoff', args: { agent_profile: 'reviewer', message: '{{input}}' } } },
            { say: 'checking' },
            { reply: 'Review done: {{result}}' },
          ],
        },
        { match: 'explode', fail: 'simulated crash' },
      ],
    });
  });

  it('loads a JSON script (by its .json extension)', () => {
    const p = file(
      'json',
      JSON.stringify({ defaultDelay: 5, startup: { delay: 50 }, rules: [{ match: 'hi', reply: 'hello {{input}}' }] }),
    );
    expect(loadScript(p)).toEqual({
      startup: { delay: 50, trust: false, earlyInput: 0 },
      defaultDelay: 5,
      rules: [{ match: 'hi', reply: 'hello {{input}}' }],
    });
  });

  it('gives tool calls empty args when none are written', () => {
    const p = file('yaml', 'rules:\n  - match: x\n    call: { server: cao, tool: list }\n');
    expect(loadScript(p).rules[0]!.call).toEqual({ server: 'cao', tool: 'list', args: {} });
  });

  it('treats an empty file as the empty script', () => {
    expect(loadScript(file('yaml', ''))).toEqual(EMPTY_SCRIPT);
    expect(EMPTY_SCRIPT).toEqual({ startup: { delay: 0, trust: false, earlyInput: 0 }, defaultDelay: 100, rules: [] });
  });

  it('names the file and says it does not parse for broken YAML or JSON', () => {
    const y = file('yaml', 'rules: [\n  - match: "x\n');
    expect(() => loadScript(y)).toThrow(`mock script ${y} does not parse`);
    const j = file('json', '{"rules": [}');
    expect(() => loadScript(j)).toThrow(`mock script ${j} does not parse`);
  });

  it('names the invalid field', () => {
    const cases: [string, RegExp][] = [
      ['defaultDelay: fast\n', /is invalid: defaultDelay: /],
      ['startup: { delay: -1 }\n', /is invalid: startup\.delay: /],
      ['rules:\n  - match: 42\n', /is invalid: rules\.0\.match: /],
      ['rules:\n  - match: a\n  - match: b\n    delay: 1.5\n', /is invalid: rules\.1\.delay: /],
      ['rules:\n  - match: a\n    steps:\n      - reply: ok\n      - work: -5\n', /is invalid: rules\.0\.steps\.1/],
      ['rules:\n  - match: a\n    call: { server: cao }\n', /is invalid: rules\.0\.call\.tool: /],
    ];
    for (const [text, message] of cases) expect(() => loadScript(file('yaml', text)), text).toThrow(message);
  });

  it('rejects unknown keys, naming them (a typo must not be silently ignored)', () => {
    expect(() => loadScript(file('yaml', 'rulez: []\n'))).toThrow(/is invalid: .*rulez/);
    expect(() => loadScript(file('yaml', 'rules:\n  - match: a\n    replies: hi\n'))).toThrow(/is invalid: rules\.0.*replies/);
    expect(() => loadScript(file('yaml', 'rules:\n  - match: a\n    steps:\n      - wait: 5\n'))).toThrow(/is invalid: rules\.0\.steps\.0/);
  });

  it('rejects a step with two actions', () => {
    expect(() => loadScript(file('yaml', 'rules:\n  - match: a\n    steps:\n      - { work: 5, reply: hi }\n'))).toThrow(
      /is invalid: rules\.0\.steps\.0/,
    );
  });

  it('rejects a bad regular expression at load time, naming the rule', () => {
    const p = file('yaml', 'rules:\n  - match: ok\n  - match: "(unclosed"\n');
    expect(() => loadScript(p)).toThrow(/rule 2: match is not a valid regular expression/);
  });

  it('fails clearly for a missing file', () => {
    expect(() => loadScript(join(dir, 'nope.yaml'))).toThrow(/ENOENT/);
  });
});

describe('compileRules', () => {
  const compile = (rules: unknown[]) => compileRules({ startup: { delay: 0, trust: false }, defaultDelay: 100, rules } as never);

  it('matches case-insensitively against the input', () => {
    const [rule] = compile([{ match: '^review (\\w+)', steps: [] }]);
    expect(rule!.pattern.exec('REVIEW main.ts')?.[1]).toBe('main');
    expect(rule!.pattern.test('please review')).toBe(false);
  });

  it('expands shorthand to steps in the order delay, ask, call, reply, fail', () => {
    const call = { server: 'cao', tool: 'handoff', args: { a: 1 } };
    // Keys written in another order still run in the fixed order.
    const [rule] = compile([{ match: 'x', fail: 'boom', reply: 'r', call, ask: 'ok?', delay: 250 }]);
    expect(rule!.steps).toEqual([{ work: 250 }, { ask: 'ok?' }, { call }, { reply: 'r' }, { fail: 'boom' }]);
  });

  it('expands only the shorthand that is present (delay 0 and empty strings count)', () => {
    expect(compile([{ match: 'x', reply: 'hi' }])[0]!.steps).toEqual([{ reply: 'hi' }]);
    expect(compile([{ match: 'x', delay: 0, reply: '' }])[0]!.steps).toEqual([{ work: 0 }, { reply: '' }]);
    expect(compile([{ match: 'x' }])[0]!.steps).toEqual([]);
  });

  it('uses explicit steps as written', () => {
    const steps = [{ reply: 'first' }, { work: 10 }, { say: 'note' }];
    expect(compile([{ match: 'x', steps }])[0]!.steps).toEqual(steps);
  });

  it('keeps rules in file order', () => {
    const rules = compile([{ match: 'a', reply: '1' }, { match: 'b', reply: '2' }]);
    expect(rules.map((r) => r.pattern.source)).toEqual(['a', 'b']);
  });
});

describe('builtinSteps', () => {
  it('works for the default delay, then replies with the input', () => {
    expect(builtinSteps('hello', 100)).toEqual([{ work: 100 }, { reply: 'Done. You said: {{input}}' }]);
  });

  it('takes the work time from delay=MS', () => {
    expect(builtinSteps('hello delay=2000', 100)).toEqual([{ work: 2000 }, { reply: 'Done. You said: {{input}}' }]);
    expect(builtinSteps('delay=0 go', 100)[0]).toEqual({ work: 0 });
  });

  it('only reads delay=MS as a whole word', () => {
    expect(builtinSteps('nodelay=5', 100)[0]).toEqual({ work: 100 });
    expect(builtinSteps('delay=5s', 100)[0]).toEqual({ work: 100 });
    expect(builtinSteps('delay=', 100)[0]).toEqual({ work: 100 });
  });

  it('asks for permission when the word ask appears, quoting the input on one line', () => {
    expect(builtinSteps('x ask', 100)).toEqual([
      { work: 100 },
      { ask: 'Allow the mock tool to act on: x ask?' },
      { reply: 'Done. You said: {{input}}' },
    ]);
    expect(builtinSteps('please\nask  me', 7)[1]).toEqual({ ask: 'Allow the mock tool to act on: please ask me?' });
  });

  it('fails instead of replying when the word fail appears', () => {
    expect(builtinSteps('boom fail', 100)).toEqual([{ work: 100 }, { fail: 'the mock agent was asked to fail' }]);
    expect(builtinSteps('ask fail delay=3', 100)).toEqual([
      { work: 3 },
      { ask: 'Allow the mock tool to act on: ask fail delay=3?' },
      { fail: 'the mock agent was asked to fail' },
    ]);
  });

  it('does not react to words that merely contain ask or fail', () => {
    for (const input of ['asking a question', 'task done', 'failure is fine', 'failed', 'ASK', 'Fail']) {
      expect(builtinSteps(input, 100), input).toEqual([{ work: 100 }, { reply: 'Done. You said: {{input}}' }]);
    }
  });

  it('finds the words on any line of a multi-line input', () => {
    expect(builtinSteps('first line\nthen fail', 100)[1]).toEqual({ fail: 'the mock agent was asked to fail' });
  });
});

describe('render / renderArgs', () => {
  const vars: TemplateVars = {
    input: 'review src/a.ts',
    result: 'handed off',
    turn: 3,
    profile: 'developer',
    terminalId: 'abc123',
    match: ['review src/a.ts', 'src/a.ts'],
    env: { CAO_X: 'from env' },
  };

  it('fills every known variable', () => {
    expect(render('{{input}} | {{result}} | {{turn}} | {{profile}} | {{terminal_id}} | {{match.0}} | {{match.1}} | {{env.CAO_X}}', vars)).toBe(
      'review src/a.ts | handed off | 3 | developer | abc123 | review src/a.ts | src/a.ts | from env',
    );
  });

  it('allows spaces inside the braces', () => {
    expect(render('{{ input }} / {{  turn}}', vars)).toBe('review src/a.ts / 3');
  });

  it('renders missing match groups and unset env variables as empty', () => {
    expect(render('[{{match.5}}] [{{env.NOT_SET_ANYWHERE}}]', vars)).toBe('[] []');
  });

  it('keeps unknown placeholders as written', () => {
    expect(render('{{unknown}} {{inputs}} {{match}} {{ other.thing }}', vars)).toBe('{{unknown}} {{inputs}} {{match}} {{ other.thing }}');
  });

  it('does not expand templates found in the values', () => {
    const v = { ...vars, input: 'say {{turn}} and $& and $1' };
    expect(render('You said: {{input}}', v)).toBe('You said: say {{turn}} and $& and $1');
  });

  it('keeps line breaks of multi-line values', () => {
    expect(render('Done: {{input}}', { ...vars, input: 'a\n\nb' })).toBe('Done: a\n\nb');
  });

  it('renders strings inside nested call arguments and leaves other values alone', () => {
    const args = {
      agent_profile: 'reviewer',
      message: 'Please check {{match.1}} (turn {{turn}})',
      list: ['{{profile}}', 7, null, { deep: '{{env.CAO_X}}' }],
      count: 2,
      flag: true,
      nothing: null,
    };
    expect(renderArgs(args, vars)).toEqual({
      agent_profile: 'reviewer',
      message: 'Please check src/a.ts (turn 3)',
      list: ['developer', 7, null, { deep: 'from env' }],
      count: 2,
      flag: true,
      nothing: null,
    });
    // The script's own arguments are not changed (they are reused by later turns).
    expect(args.message).toBe('Please check {{match.1}} (turn {{turn}})');
  });
});

describe('oneLine', () => {
  it('collapses whitespace and trims', () => {
    expect(oneLine('  a\n\tb   c \n')).toBe('a b c');
  });

  it('cuts long text with an ellipsis to the given length', () => {
    const out = oneLine('x'.repeat(100), 10);
    expect(out).toBe(`${'x'.repeat(9)}…`);
    expect(out.length).toBe(10);
    expect(oneLine('x'.repeat(80))).toBe('x'.repeat(80));
  });
});
