import { describe, expect, it } from 'vitest';
import { PROFILE_NAME, ProfileError, ProfileName, parseProfile } from '../../../src/profiles/schema.js';

/** The ProfileError thrown by parseProfile. */
function error(text: string, fallbackName = 'stem', path?: string): ProfileError {
  try {
    parseProfile(text, fallbackName, path);
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    return e as ProfileError;
  }
  throw new Error('expected a ProfileError');
}

describe('parseProfile', () => {
  it('reads frontmatter fields and uses the trimmed body as the system prompt', () => {
    const text = [
      '---',
      'name: reviewer',
      'description: Reviews code',
      'provider: claude_code',
      'model: some-model',
      'mockScript: mock/reviewer.yaml',
      'mcpServers:',
      '  cao-mcp-server:',
      '    type: stdio',
      '    command: cao',
      '    args: ["mcp-server"]',
      '    env: { A: "1" }',
      '---',
      '',
      '',
      '# Reviewer',
      '',
      'Be thorough.',
      '',
      '   ',
      '',
    ].join('\n');
    const p = parseProfile(text, 'file-stem', '/x/reviewer.md');
    expect(p).toMatchObject({
      name: 'reviewer',
      description: 'Reviews code',
      provider: 'claude_code',
      model: 'some-model',
      mockScript: 'mock/reviewer.yaml',
      mcpServers: { 'cao-mcp-server': { type: 'stdio', command: 'cao', args: ['mcp-server'], env: { A: '1' } } },
      systemPrompt: '# Reviewer\n\nBe thorough.',
      path: '/x/reviewer.md',
    });
  });

  it('falls back to the file stem for the name and to an empty description', () => {
    const p = parseProfile('---\nprovider: mock\n---\nHello', 'my-agent');
    expect(p.name).toBe('my-agent');
    expect(p.description).toBe('');
    expect(p.path).toBeUndefined();
  });

  it('reads a file without frontmatter as a bare system prompt', () => {
    const p = parseProfile('  You are helpful.\n\n', 'plain');
    expect(p).toMatchObject({ name: 'plain', description: '', systemPrompt: 'You are helpful.', frontmatter: {} });
    expect(p.provider).toBeUndefined();
  });

  it('keeps unknown frontmatter keys (for CLIs that read them)', () => {
    const p = parseProfile('---\ndescription: d\ntools: ["fs_read"]\ncustomThing: { nested: [1, 2] }\nx-flag: true\n---\nbody', 'a');
    expect(p.frontmatter).toEqual({ description: 'd', tools: ['fs_read'], customThing: { nested: [1, 2] }, 'x-flag': true });
  });

  it('accepts every provider id', () => {
    for (const provider of ['kiro_cli', 'claude_code', 'codex', 'gemini_cli', 'kimi_cli', 'copilot_cli', 'q_cli', 'mock']) {
      expect(parseProfile(`---\nprovider: ${provider}\n---\n`, 'a').provider).toBe(provider);
    }
  });

  it('names provider when its value is not a known provider', () => {
    const e = error('---\nprovider: chatgpt\n---\nbody', 'x', '/profiles/x.md');
    expect(e.message).toMatch(/^\/profiles\/x\.md: invalid profile: provider: /);
  });

  it('names the field of other invalid values', () => {
    expect(error('---\ndescription: [1, 2]\n---\n').message).toMatch(/^stem: invalid profile: description: /);
    expect(error('---\nmcpServers: { s: { args: "not-a-list" } }\n---\n').message).toMatch(/mcpServers\.s\.args: /);
    expect(error('---\nmcpServers: { s: { env: { A: 1 } } }\n---\n').message).toMatch(/mcpServers\.s\.env\.A: /);
    expect(error('---\ntools: fs_read\n---\n').message).toMatch(/tools: /);
    expect(error('---\nuseLegacyMcpJson: "yes"\n---\n').message).toMatch(/useLegacyMcpJson: /);
  });

  it('reports every invalid field at once', () => {
    const m = error('---\nprovider: nope\nmodel: 5\n---\n').message;
    expect(m).toMatch(/provider: /);
    expect(m).toMatch(/model: /);
  });

  it('refuses frontmatter that is not a mapping', () => {
    expect(error('---\n- a\n- b\n---\nbody').message).toMatch(/\(frontmatter\): /);
  });

  it('turns broken YAML into a ProfileError naming the file', () => {
    const e = error('---\nname: [unclosed\ndescription: x\n---\nbody', 'x', '/p/x.md');
    expect(e.message).toMatch(/^\/p\/x\.md: the YAML frontmatter does not parse: /);
    expect(error('---\ndescription: "a\n---\n').message).toMatch(/^stem: the YAML frontmatter does not parse/);
  });

  it('refuses unsafe names in the frontmatter', () => {
    for (const name of ['a/b', '../x', '..', 'a..b', '.hidden', '-dash', 'has space', 'x'.repeat(65), '']) {
      expect(error(`---\nname: "${name}"\n---\n`).message, name).toMatch(/name: /);
    }
  });

  it('returns independent frontmatter objects for the same text', () => {
    const text = '---\ndescription: shared\nextra: { list: [1] }\n---\nbody';
    const a = parseProfile(text, 'a');
    (a.frontmatter.extra as { list: number[] }).list.push(2);
    a.frontmatter.injected = true;
    const b = parseProfile(text, 'b');
    expect(b.frontmatter).toEqual({ description: 'shared', extra: { list: [1] } });
  });
});

describe('profile names', () => {
  it.each(['developer', 'code_supervisor', 'a', 'A1', 'v1.2-beta', 'x'.repeat(64), 'a.b'])('accepts %j', (n) => {
    expect(ProfileName.safeParse(n).success).toBe(true);
    expect(PROFILE_NAME.test(n)).toBe(true);
  });

  it.each(['', 'a/b', 'a\\b', '..', '../x', 'a..b', '.hidden', '_x', '-x', 'a b', 'x'.repeat(65), 'é', 'a\nb'])('refuses %j', (n) => {
    expect(ProfileName.safeParse(n).success).toBe(false);
  });
});
