import { joinLines, splitLines } from './text-lines';
import { rewriteContents, type TokenStrategy } from './strategy';

/** A sentence of three or more words ("Answer in English."), not a lyric line or a code line. */
function isSentence(text: string): boolean {
  const trimmed = text.trim();
  return /[.!?。]$/.test(trimmed) && trimmed.split(/\s+/).length >= 3 && !/^\s{2,}|\t/.test(text);
}

/**
 * Removes a prose sentence line repeated on the very next line, the trace of browser extensions
 * and double pastes ("Answer in English.\nAnswer in English."). Only adjacent copies go, so no
 * blank lines move and the rest of the text stays as it was.
 */
export function stripRepeatedLines(content: string): string {
  const lines = splitLines(content);
  const kept = lines.filter((line, i) => {
    const previous = lines[i - 1];
    if (line.code || !previous || previous.code) return true;
    return !(line.text.trimEnd() === previous.text.trimEnd() && isSentence(line.text));
  });
  return kept.length === lines.length ? content : joinLines(kept);
}

export const stripBoilerplateStrategy: TokenStrategy = {
  name: 'strip-boilerplate',
  risk: 'low',
  affects: 'prompt',
  apply: (body) => rewriteContents(body, stripRepeatedLines),
};
