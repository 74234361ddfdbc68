import { describe, expect, it } from 'vitest';
import { stripRepeatedLines } from './boilerplate.strategy';

describe('stripRepeatedLines', () => {
  it.each([
    [
      'a sentence repeated on the next line',
      'Answer in English.\nAnswer in English.',
      'Answer in English.',
    ],
    [
      'three copies in a row',
      'Answer in English.\nAnswer in English.\nAnswer in English.',
      'Answer in English.',
    ],
    [
      'trailing spaces do not hide a copy',
      'Please reply in French.\nPlease reply in French.  ',
      'Please reply in French.',
    ],
    [
      'a repeated lyric line without punctuation stays',
      'Down with you\nDown with you',
      'Down with you\nDown with you',
    ],
    ['short lines stay', 'Yes.\nYes.', 'Yes.\nYes.'],
    [
      'copies apart from each other stay',
      'Answer in English.\n\nAnswer in English.',
      'Answer in English.\n\nAnswer in English.',
    ],
    [
      'code is untouched',
      '```\nprint("a b c").\nprint("a b c").\n```',
      '```\nprint("a b c").\nprint("a b c").\n```',
    ],
    [
      'indented lines are untouched',
      '    do the thing now.\n    do the thing now.',
      '    do the thing now.\n    do the thing now.',
    ],
  ])('%s', (_name, input, expected) => {
    expect(stripRepeatedLines(input)).toBe(expected);
    expect(stripRepeatedLines(expected)).toBe(expected);
  });
});
