/** Flow files: parsing with errors that name the field, safe serialisation, and prompt templates. */
import { describe, expect, it } from 'vitest';
import { FlowFileError, parseFlow, placeholders, renderPrompt, serializeFlow, type FlowDefinition } from '../../../src/flows/definition.js';

const FULL = `---
name: daily-standup
# a comment in the frontmatter
schedule: "0 9 * * 1-5"
timezone: Europe/Berlin
agent_profile: standup_facilitator
provider: mock
script: ./gate.sh
working_directory: /srv/project
script_timeout: 45
---

Run today's stand-up for [[team]].

Ask about blockers.
`;

/** A flow file from frontmatter lines and a body. */
const file = (front: string[], body = 'Do the thing.') => `---\n${front.join('\n')}\n---\n${body}\n`;
const MIN = ['name: a-flow', 'schedule: "@daily"', 'agent_profile: developer'];
const without = (key: string) => MIN.filter((l) => !l.startsWith(`${key}:`));

/** The error parseFlow throws for a text (and that it is a FlowFileError naming the source). */
function parseError(text: string): string {
  try {
    parseFlow(text, 'flows/x.flow.md');
  } catch (e) {
    expect(e).toBeInstanceOf(FlowFileError);
    const m = (e as Error).message;
    expect(m.startsWith('flows/x.flow.md: ')).toBe(true);
    return m.slice('flows/x.flow.md: '.length);
  }
  throw new Error(`accepted: ${text}`);
}

describe('parseFlow', () => {
  it('reads every field; the body (trimmed) is the prompt', () => {
    expect(parseFlow(FULL, 'standup.md')).toEqual({
      name: 'daily-standup',
      schedule: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      agentProfile: 'standup_facilitator',
      provider: 'mock',
      script: './gate.sh',
      workingDirectory: '/srv/project',
      scriptTimeoutSeconds: 45,
      prompt: "Run today's stand-up for [[team]].\n\nAsk about blockers.",
    } satisfies FlowDefinition);
  });

  it('optional fields may be left out: no provider, script, directory or zone, a 30 s script timeout', () => {
    expect(parseFlow(file(MIN), 'x')).toEqual({
      name: 'a-flow', schedule: '@daily', agentProfile: 'developer', provider: undefined, script: undefined,
      workingDirectory: undefined, timezone: undefined, scriptTimeoutSeconds: 30, prompt: 'Do the thing.',
    });
  });

  it('an unquoted five-field schedule that YAML reads as a string is fine (with a trailing comment)', () => {
    expect(parseFlow(file(['name: a', 'schedule: 0 9 * * 1-5 # weekdays', 'agent_profile: developer']), 'x').schedule).toBe('0 9 * * 1-5');
  });

  it('missing name, schedule or agent_profile: the error names each missing field', () => {
    expect(parseError(file(without('name')))).toMatch(/^name: /);
    expect(parseError(file(without('schedule')))).toMatch(/^schedule: /);
    expect(parseError(file(without('agent_profile')))).toMatch(/^agent_profile: /);
    const none = parseError('Just a prompt, no frontmatter.\n');
    expect(none).toMatch(/name: /);
    expect(none).toMatch(/schedule: /);
    expect(none).toMatch(/agent_profile: /);
  });

  it('a provider that does not exist', () => {
    expect(parseError(file([...MIN, 'provider: chatgpt']))).toMatch(/^provider: .*expected one of .*mock/);
    expect(parseError(file([...MIN, 'provider:']))).toMatch(/^provider: /);
  });

  it('names that could escape the flows folder or are not names', () => {
    for (const bad of ['a/b', '../evil', '..', '.hidden', 'a..b', 'with space', '"-leading-dash"', 'x'.repeat(49), '""']) {
      expect(parseError(file([`name: ${bad}`, ...MIN.slice(1)]))).toMatch(/^name: a flow name uses letters, digits/);
    }
    expect(parseError(file(['name: 42', ...MIN.slice(1)]))).toMatch(/^name: .*string/);
    expect(parseFlow(file([`name: ${'x'.repeat(48)}`, ...MIN.slice(1)]), 'x').name).toBe('x'.repeat(48));
  });

  it('a bad agent_profile name', () => {
    expect(parseError(file(['name: a', 'schedule: "@daily"', 'agent_profile: ../../etc/passwd']))).toMatch(/^agent_profile: /);
  });

  it('an unknown key', () => {
    expect(parseError(file([...MIN, 'prompt_template: hi']))).toMatch(/frontmatter: .*prompt_template/);
    expect(parseError(file([...MIN, 'Schedule: "@hourly"']))).toMatch(/frontmatter: .*Schedule/);
  });

  it('a bad script_timeout', () => {
    expect(parseError(file([...MIN, 'script_timeout: 0']))).toMatch(/^script_timeout: /);
    expect(parseError(file([...MIN, 'script_timeout: 1.5']))).toMatch(/^script_timeout: /);
    expect(parseError(file([...MIN, 'script_timeout: "10"']))).toMatch(/^script_timeout: /);
    expect(parseError(file([...MIN, 'script_timeout: 601']))).toMatch(/^script_timeout: /);
  });

  it('a bad cron expression or time zone names the field', () => {
    expect(parseError(file(['name: a', 'schedule: "0 9 * *"', 'agent_profile: developer']))).toMatch(/^schedule: '0 9 \* \*' needs 5 fields/);
    expect(parseError(file(['name: a', 'schedule: "0 25 * * *"', 'agent_profile: developer']))).toMatch(/^schedule: .*hour/);
    expect(parseError(file(['name: a', 'schedule: "0 0 30 2 *"', 'agent_profile: developer']))).toMatch(/^schedule: .*never fires again/);
    expect(parseError(file([...MIN, 'timezone: Europe/Atlantis']))).toMatch(/^timezone: 'Europe\/Atlantis'/);
  });

  it('an empty prompt', () => {
    expect(parseError(file(MIN, ''))).toMatch(/prompt .* is empty/);
    expect(parseError(file(MIN, '  \n\n\t \n'))).toMatch(/prompt .* is empty/);
    expect(parseError(`---\n${MIN.join('\n')}\n---`)).toMatch(/prompt .* is empty/);
  });

  it('broken YAML', () => {
    expect(parseError(file(['name: a: b', 'schedule: "@daily"', 'agent_profile: developer']))).toMatch(/YAML frontmatter does not parse/);
    expect(parseError(file([...MIN, 'name: again']))).toMatch(/YAML frontmatter does not parse: duplicated mapping key/);
    expect(parseError(file(['name: [unclosed', 'schedule: "@daily"', 'agent_profile: developer']))).toMatch(/YAML frontmatter does not parse/);
  });

  it('frontmatter that is not a mapping', () => {
    expect(parseError('---\n- a\n- b\n---\nhi\n')).toMatch(/^frontmatter: expected keys and values .*not a list/);
    expect(parseError('---\njust words\n---\nhi\n')).toMatch(/^frontmatter: expected keys and values .*not a single value/);
  });

  describe('unquoted schedules that YAML reads as something else', () => {
    const sched = (value: string) => file(['name: a', `schedule: ${value}`, 'agent_profile: developer']);

    it('a leading * is a YAML alias: the error names the schedule and says to quote it', () => {
      for (const v of ['* * * * *', '*/5 * * * *']) {
        const m = parseError(sched(v));
        expect(m).toMatch(/schedule/);
        expect(m).toMatch(/quote/i);
      }
    });

    it('a leading @ is reserved in YAML: same', () => {
      const m = parseError(sched('@daily'));
      expect(m).toMatch(/schedule/);
      expect(m).toMatch(/quote/i);
    });

    it('a number, a sexagesimal "time" or a date: refused naming the schedule, not silently turned into another value', () => {
      for (const v of ['5', '1:30', '0x1F', '2025-01-01', 'true', '[0, 9]', '~']) {
        const m = parseError(sched(v));
        expect(m, v).toMatch(/^schedule: /);
      }
      // YAML 1.1 reads 1:30 as 90: the message must not talk about a schedule '90' the user never wrote.
      expect(parseError(sched('1:30'))).not.toContain("'90'");
      expect(parseError(sched('1:30'))).toMatch(/quote/i);
    });
  });

  it('frontmatter in another language is refused, and JavaScript frontmatter is never executed', () => {
    const g = globalThis as { FLOW_FRONTMATTER_RAN?: boolean };
    delete g.FLOW_FRONTMATTER_RAN;
    for (const lang of ['js', 'javascript']) {
      const text = `---${lang}\n{ name: "a", schedule: "@daily", agent_profile: "developer", x: (globalThis.FLOW_FRONTMATTER_RAN = true) }\n---\nhi\n`;
      expect(() => parseFlow(text, 'x')).toThrow(FlowFileError);
    }
    expect(g.FLOW_FRONTMATTER_RAN).toBeUndefined();
  });

  it('Windows line endings', () => {
    const d = parseFlow(FULL.replace(/\n/g, '\r\n'), 'x');
    expect(d).toMatchObject({ name: 'daily-standup', schedule: '0 9 * * 1-5', scriptTimeoutSeconds: 45 });
    expect(d.prompt.replace(/\r/g, '')).toBe("Run today's stand-up for [[team]].\n\nAsk about blockers.");
  });
});

describe('serializeFlow', () => {
  const base: FlowDefinition = { name: 'nightly', schedule: '0 2 * * *', agentProfile: 'developer', scriptTimeoutSeconds: 30, prompt: 'Check the build.' };

  it('writes a file parseFlow reads back to the same definition, every field set', () => {
    const full = parseFlow(FULL, 'x');
    expect(parseFlow(serializeFlow(full), 'y')).toEqual(full);
  });

  it('leaves out what is not set (and the default timeout)', () => {
    const text = serializeFlow(base);
    expect(text).toMatch(/^---\nname: nightly\nschedule: 0 2 \* \* \*\nagent_profile: developer\n---\nCheck the build.\n$/);
    expect(parseFlow(text, 'x')).toEqual({ ...base, provider: undefined, script: undefined, workingDirectory: undefined, timezone: undefined });
  });

  it('schedules YAML would misread are quoted', () => {
    for (const schedule of ['* * * * *', '*/5 * * * *', '@daily', '@hourly', '0 9 * * 1-5', '*/10 * * * * *']) {
      expect(parseFlow(serializeFlow({ ...base, schedule }), 'x').schedule).toBe(schedule);
    }
  });

  /** The serialised text parses back to exactly `d`, or is rejected as a flow file: never to something else. */
  const roundTrips = (d: FlowDefinition): 'same' | 'rejected' => {
    const text = serializeFlow(d);
    let back: FlowDefinition;
    try {
      back = parseFlow(text, 'x');
    } catch (e) {
      expect(e).toBeInstanceOf(FlowFileError);
      return 'rejected';
    }
    const expected = { provider: undefined, script: undefined, workingDirectory: undefined, timezone: undefined, ...d };
    expect(back, `serialised as:\n${text}`).toEqual(expected);
    return 'same';
  };

  const nasty = [
    'x\nprovider: codex',
    'x\n---\nprovider: codex\n---\nInjected prompt',
    '"quoted" and \'single\'',
    "x' \nprovider: codex\n'",
    'x"\nprovider: codex\n"',
    '---',
    '--- \nname: evil',
    '\n---\nname: evil\n---',
    'key: value',
    '{provider: codex}',
    '[a, b]',
    '- item',
    '&anchor x',
    '*alias',
    '!!js/function "function(){}"',
    '| block',
    '> folded',
    '# not a comment',
    'x # comment',
    'tab\there',
    'unicode ✓ 日本語 \u2028 line separator',
    '\u0000nul',
    '\\n escaped',
    'trailing newline\n',
    'yes',
    'null',
    '0x1F',
    '1:30',
    '2025-01-01',
    'x'.repeat(500),
  ];

  it('names cannot inject fields: a name that is not a flow name is rejected, the others come back the same', () => {
    for (const name of nasty) {
      expect(roundTrips({ ...base, name }), JSON.stringify(name)).toBe(/^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/.test(name) ? 'same' : 'rejected');
    }
    expect(roundTrips({ ...base, name: 'x\nprovider: codex' })).toBe('rejected');
  });

  it('schedules cannot inject fields: they come back the same or are rejected', () => {
    for (const s of nasty.map((n) => `0 9 * * * ${n}`).concat(nasty)) {
      const r = roundTrips({ ...base, schedule: s });
      if (r === 'same') expect(parseFlow(serializeFlow({ ...base, schedule: s }), 'x').provider).toBeUndefined();
    }
  });

  it('prompts cannot inject fields: they come back exactly', () => {
    const prompts = nasty.map((n) => `Hello ${n} world`).concat([
      '---\nname: evil\nprovider: codex\n---\nsecond document',
      'first line\n---\nprovider: codex\n---',
      'line\n\n---\n\nmore',
      '[[var]] and [[other]]',
      'ends with three dashes\n---',
    ]);
    for (const prompt of prompts) expect(roundTrips({ ...base, prompt: prompt.trim() }), JSON.stringify(prompt)).toBe('same');
  });

  it('scripts, working directories and time zones cannot inject fields either', () => {
    for (const n of nasty) {
      for (const field of ['script', 'workingDirectory'] as const) {
        expect(roundTrips({ ...base, [field]: `./${n}` }), `${field} ${JSON.stringify(n)}`).toBe('same');
      }
      expect(roundTrips({ ...base, timezone: n }), `timezone ${JSON.stringify(n)}`).toBe('rejected');
    }
  });

  it('a frontmatter with an injected provider is detectable: the definition keeps none', () => {
    const text = serializeFlow({ ...base, prompt: 'x\n---\nprovider: codex' });
    expect(text.split('\n---\n')[0]).not.toMatch(/^provider:/m);
    expect(parseFlow(text, 'x').provider).toBeUndefined();
  });
});

describe('renderPrompt', () => {
  it('fills every placeholder', () => {
    expect(renderPrompt('Check [[service]] at [[checked_at]].', { service: 'api', checked_at: '09:00' })).toBe('Check api at 09:00.');
  });

  it('fills a placeholder used several times everywhere', () => {
    expect(renderPrompt('[[a]] and [[a]] and [[b]], [[a]]', { a: 'x', b: 'y' })).toBe('x and x and y, x');
  });

  it('writes non-string values as JSON', () => {
    expect(renderPrompt('[[n]] [[t]] [[z]] [[o]] [[l]] [[f]]', { n: 42, t: true, z: null, o: { a: 1 }, l: [1, 'b'], f: 1.5 })).toBe('42 true null {"a":1} [1,"b"] 1.5');
  });

  it('leaves "$" sequences in values alone (no replacement patterns)', () => {
    expect(renderPrompt('cost: [[v]]', { v: "$& $1 $$ $` $'" })).toBe("cost: $& $1 $$ $` $'");
  });

  it('does not expand placeholders inside values', () => {
    expect(renderPrompt('[[a]] [[b]]', { a: '[[b]]', b: 'B' })).toBe('[[b]] B');
  });

  it('lists the missing placeholders, sorted, once each', () => {
    expect(() => renderPrompt('[[zeta]] [[alpha]] [[mid]] [[alpha]] [[present]]', { present: 1 })).toThrow(
      new FlowFileError('missing template variables: alpha, mid, zeta'),
    );
  });

  it('an empty string is a value', () => {
    expect(renderPrompt('[<[[a]]>]', { a: '' })).toBe('[<>]');
  });

  it('names of Object.prototype are not values', () => {
    for (const name of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__']) {
      expect(() => renderPrompt(`x [[${name}]]`, {}), name).toThrow(`missing template variables: ${name}`);
    }
  });

  it('ignores extra keys', () => {
    expect(renderPrompt('Hi [[name]]', { name: 'Ada', unused: 'x', other: 2 })).toBe('Hi Ada');
  });

  it('a prompt without placeholders is unchanged; text that only looks similar is left alone', () => {
    expect(renderPrompt('plain [text] [[ spaced ]] [[with-dash]] [single]', {})).toBe('plain [text] [[ spaced ]] [[with-dash]] [single]');
  });

  it('placeholders() lists each name once, in order of appearance', () => {
    expect(placeholders('[[b]] [[a]] [[b]] [[c_1]]')).toEqual(['b', 'a', 'c_1']);
  });
});
