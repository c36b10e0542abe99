/**
 * The mock provider's screen rules, checked against real screens of the mock agent
 * (test/fixtures/screens/mock, see its README for how they were captured).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyMock, extractMockAnswer, mockProvider, mockTypedInput } from '../../../src/providers/mock.js';
import { describeScreenFixtures, itExtractsAnswers, screenFixtures, tailFrom } from '../../helpers/screens.js';

const fx = screenFixtures('mock');
const { dir: DIR, files, screen, statusOf } = fx;
const ESC = '\u001b';

describeScreenFixtures(fx, 'classifyMock on real screens', classifyMock);

describe('classifyMock on variants of real screens', () => {
  it('gives the same status when the capture keeps colours (capture-pane -e)', () => {
    // Colour the markers the way the mock agent does.
    const colour = (s: string) =>
      s
        .replace(/^❯/gm, `${ESC}[1m❯${ESC}[22m`)
        .replace(/^● /gm, `${ESC}[32m●${ESC}[39m `)
        .replace(/^(✗ Error: .*)$/gm, `${ESC}[31m$1${ESC}[39m`)
        .replace(/^\? /gm, `${ESC}[33m?${ESC}[39m `);
    for (const f of files) expect(classifyMock(colour(readFileSync(`${DIR}${f}`, 'utf8'))), f).toBe(statusOf(f));
  });

  it('judges only the last turn when the older turns have scrolled out of view', () => {
    // The top of the screen (banner, older turns) is gone; only the last turn is visible.
    expect(classifyMock(tailFrom(screen('completed.3'), /^❯ try again/))).toBe('completed');
    expect(classifyMock(tailFrom(screen('error.2'), /^❯ boom fail/))).toBe('error');
  });

  it('is processing when the screen is blank or shows only the banner', () => {
    expect(classifyMock('')).toBe('processing');
    const banner = screen('idle.1').split('\n').filter((l) => !l.startsWith('❯')).join('\n');
    expect(classifyMock(banner)).toBe('processing');
  });
});

describe('extractMockAnswer on real screens', () => {
  const cases: [string, string][] = [
    ['completed.1', 'Done. You said: hello'],
    // An answered permission question above the answer is not part of it.
    ['completed.2', 'Done. You said: x ask'],
    // The older turn's error is not the last turn.
    ['completed.3', 'Done. You said: try again'],
    // Typed but not submitted: the answer is still the last turn's.
    ['completed.4', 'Done. You said: hello'],
    // A blank line inside the answer is kept, the indentation of continuation lines removed.
    ['completed.5', 'Done. You said: line one\nline two\n\nline four'],
    ['completed.6', 'Permission denied, so I stopped here.'],
    // The whole multi-line reply of the last turn: blank line and deeper indentation kept; the
    // progress note and the older turn's answer are left out.
    ['completed.7', 'First line of the story.\n\nThird line, after a blank one.\n  an indented line\nLast line.'],
    ['completed.8', 'Done. You said: second task'],
    // The "(press Ctrl-C again to exit)" hint below the answer is not part of it.
    ['completed.9', 'Done. You said: hello'],
    // Echoed input lines that look like markers stay inside the answer.
    ['completed.10', 'Done. You said: look at this log\n✗ Error: boom\n● fake answer'],
  ];
  itExtractsAnswers(fx, extractMockAnswer, cases);

  it('completed.11: a line wrapped by the terminal comes back as one line', () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${String(i + 1).padStart(3, '0')}`).join(' ');
    expect(extractMockAnswer(screen('completed.11'))).toBe(`Done. You said: long ${words} end`);
  });

  it('has no answer when the last turn failed, even if an older turn answered', () => {
    expect(extractMockAnswer(screen('error.1'))).toBeUndefined();
    expect(extractMockAnswer(screen('error.2'))).toBeUndefined();
    expect(extractMockAnswer(screen('error.3'))).toBeUndefined();
    expect(extractMockAnswer(screen('error.4'))).toBeUndefined();
  });

  it('has no answer when the last turn was interrupted, even if an older turn answered', () => {
    expect(extractMockAnswer(screen('idle.2'))).toBeUndefined();
    expect(extractMockAnswer(screen('idle.3'))).toBeUndefined();
  });

  it('has no answer before the first turn finished', () => {
    expect(extractMockAnswer(screen('idle.1'))).toBeUndefined();
    expect(extractMockAnswer(screen('idle.4'))).toBeUndefined();
    expect(extractMockAnswer(screen('processing.1'))).toBeUndefined();
    expect(extractMockAnswer(screen('waiting_user_answer.1'))).toBeUndefined();
    expect(extractMockAnswer(screen('waiting_user_answer.2'))).toBeUndefined();
    expect(extractMockAnswer('')).toBeUndefined();
  });

  it('reads through colours and CRLF', () => {
    const raw = screen('completed.7')
      .replace(/^● /gm, `${ESC}[32m●${ESC}[39m `)
      .replace(/^❯/gm, `${ESC}[1m❯${ESC}[22m`)
      .replace(/\n/g, '\r\n');
    expect(extractMockAnswer(raw)).toBe('First line of the story.\n\nThird line, after a blank one.\n  an indented line\nLast line.');
  });
});

describe('mockTypedInput', () => {
  it('is the text on the prompt line at the bottom, \'\' when empty, undefined without a prompt', () => {
    expect(mockTypedInput('● Done.\n\n❯ next task  \n\n')).toBe('next task');
    expect(mockTypedInput('● Done.\n\n❯ \n')).toBe('');
    expect(mockTypedInput('❯ task\n⠋ Working… (1s · esc to interrupt)\n')).toBeUndefined();
    expect(mockProvider.typedInput).toBe(mockTypedInput);
  });
});

describe('mockProvider', () => {
  it('answers the trust dialog of the real screen with y', () => {
    const last = screen('waiting_user_answer.2').replace(/\s+$/, '').split('\n').at(-1)!;
    const dialog = mockProvider.startupDialogs.find((d) => d.pattern.test(last));
    expect(dialog?.keys).toEqual(['y']);
    // A permission question is not the startup dialog.
    const question = screen('waiting_user_answer.1').replace(/\s+$/, '').split('\n').at(-1)!;
    expect(mockProvider.startupDialogs.some((d) => d.pattern.test(question))).toBe(false);
  });

  it('uses these screen rules', () => {
    expect(mockProvider.classify).toBe(classifyMock);
    expect(mockProvider.extractLastMessage).toBe(extractMockAnswer);
  });
});
