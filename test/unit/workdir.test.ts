import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKED_DIRS, WorkdirError, resolveWorkingDirectory } from '../../src/workdir.js';

let root: string; // canonical path of a temp folder
beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'cao-unit-workdir-')));
  mkdirSync(join(root, 'project', 'src'), { recursive: true });
  writeFileSync(join(root, 'project', 'README.md'), 'hi');
  symlinkSync(join(root, 'project'), join(root, 'link-to-project'));
  symlinkSync('/etc', join(root, 'link-to-etc'));
  symlinkSync('/', join(root, 'link-to-root'));
  symlinkSync(join(root, 'missing'), join(root, 'dangling'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** The WorkdirError thrown for `input`. */
function refused(input: string, base?: string): WorkdirError {
  try {
    resolveWorkingDirectory(input, base);
  } catch (e) {
    expect(e).toBeInstanceOf(WorkdirError);
    return e as WorkdirError;
  }
  throw new Error(`expected ${input} to be refused`);
}

describe('resolveWorkingDirectory', () => {
  it('returns an existing absolute directory as is', () => {
    expect(resolveWorkingDirectory(join(root, 'project'))).toBe(join(root, 'project'));
  });

  it('resolves relative paths against the base', () => {
    expect(resolveWorkingDirectory('project', root)).toBe(join(root, 'project'));
    expect(resolveWorkingDirectory('./project/src', root)).toBe(join(root, 'project', 'src'));
    expect(resolveWorkingDirectory('..', join(root, 'project', 'src'))).toBe(join(root, 'project'));
    expect(resolveWorkingDirectory('.', join(root, 'project'))).toBe(join(root, 'project'));
  });

  it('resolves relative paths against the current directory by default', () => {
    expect(resolveWorkingDirectory(relative(process.cwd(), join(root, 'project')))).toBe(join(root, 'project'));
  });

  it('canonicalises: "..", duplicate slashes and symlinks are resolved', () => {
    expect(resolveWorkingDirectory(`${root}/project/src/../src//`)).toBe(join(root, 'project', 'src'));
    expect(resolveWorkingDirectory(join(root, 'link-to-project'))).toBe(join(root, 'project'));
    expect(resolveWorkingDirectory('link-to-project/src', root)).toBe(join(root, 'project', 'src'));
  });

  describe('with HOME pointing at a temp folder', () => {
    let savedHome: string | undefined;
    let home: string;
    beforeAll(() => {
      savedHome = process.env.HOME;
      home = join(root, 'home');
      mkdirSync(join(home, 'code', 'app'), { recursive: true });
      process.env.HOME = home; // os.homedir() reads $HOME
      expect(homedir()).toBe(home);
    });
    afterAll(() => {
      if (savedHome === undefined) delete process.env.HOME;
      else process.env.HOME = savedHome;
    });

    it('expands ~ and ~/ to the home directory, whatever the base', () => {
      expect(resolveWorkingDirectory('~', join(root, 'project'))).toBe(home);
      expect(resolveWorkingDirectory('~/code/app', join(root, 'project'))).toBe(join(home, 'code', 'app'));
      expect(resolveWorkingDirectory('~/code/../code', '/')).toBe(join(home, 'code'));
    });

    it('does not expand ~ elsewhere: ./~, ~user and a/~ are ordinary relative paths', () => {
      mkdirSync(join(root, 'project', '~'), { recursive: true });
      expect(resolveWorkingDirectory('./~', join(root, 'project'))).toBe(join(root, 'project', '~'));
      expect(resolveWorkingDirectory('project/~', root)).toBe(join(root, 'project', '~'));
      expect(refused('~code', home).message).toBe('Working directory does not exist: ~code');
    });

    it('says which input was missing when ~ leads nowhere', () => {
      expect(refused('~/not-there').message).toBe('Working directory does not exist: ~/not-there');
    });
  });

  it.each(['/', '/etc', '/tmp', '/usr', '/var', '/proc', '/dev'])('refuses the system directory %s itself', (dir) => {
    const e = refused(dir);
    expect(e.message).toMatch(/not allowed/);
    expect(e.message).toContain(dir);
  });

  it('refuses every blocked directory that exists here under its canonical name', () => {
    const present = [...BLOCKED_DIRS].filter((d) => existsSync(d) && realpathSync(d) === d);
    expect(present.length).toBeGreaterThan(5);
    for (const d of present) expect(refused(d).message, d).toMatch(/not allowed/);
  });

  it('refuses a blocked directory reached through "..", a trailing slash or a relative path', () => {
    expect(refused('/etc/').message).toMatch(/not allowed/);
    expect(refused('/usr/bin/..').message).toMatch(/resolves to blocked system path \/usr/);
    expect(refused(`${root}/${'../'.repeat(20)}`).message).toMatch(/resolves to blocked system path \/\)$/);
    expect(refused('..', '/etc/ssl').message).toMatch(/blocked system path \/etc/);
  });

  it('refuses a symlink to a blocked directory, naming where it leads', () => {
    const e = refused(join(root, 'link-to-etc'));
    expect(e.message).toContain(join(root, 'link-to-etc'));
    expect(e.message).toMatch(/resolves to blocked system path \/etc/);
    expect(refused('link-to-root', root).message).toBe(
      'Working directory not allowed: link-to-root (resolves to blocked system path /)',
    );
  });

  it('allows directories below blocked ones', () => {
    // The temp folder itself usually lives under /tmp.
    expect(resolveWorkingDirectory(root)).toBe(root);
    expect(resolveWorkingDirectory('/etc/ssl')).toBe(realpathSync('/etc/ssl'));
    expect(resolveWorkingDirectory(join(root, 'link-to-etc', 'ssl'))).toBe(realpathSync('/etc/ssl'));
  });

  it('refuses a missing directory, naming it as given', () => {
    const e = refused('nope/deeper', root);
    expect(e.message).toBe('Working directory does not exist: nope/deeper');
    expect(refused(join(root, 'dangling')).message).toMatch(/does not exist/);
  });

  it('refuses a file, saying it is not a directory', () => {
    const e = refused(join(root, 'project', 'README.md'));
    expect(e.message).toBe(`Working directory is not a directory: ${join(root, 'project', 'README.md')}`);
  });

  it('refuses a NUL byte', () => {
    expect(refused(`${root}\0/etc`).message).toMatch(/NUL/);
  });
});
