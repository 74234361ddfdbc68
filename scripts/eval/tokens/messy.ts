import type { Rng } from './rng';

/**
 * Whitespace as real pastes carry it: trailing spaces, two spaces after a full stop, extra blank
 * lines between paragraphs, blank lines around the paste. Lines inside ``` code are left as they
 * are, as editors and chat boxes do.
 */
export function messUp(text: string, rng: Rng): string {
  let inCode = false;
  const lines = text.split('\n').map((line) => {
    const toggles = (line.match(/`{3,}/g) ?? []).length % 2 === 1;
    const code = inCode || toggles;
    if (toggles) inCode = !inCode;
    if (code) return line;
    if (line.trim() === '') return rng.chance(0.5) ? '\n' : line;
    let out = line;
    if (rng.chance(0.3)) out = out.replace(/\. (?=[A-Z])/g, '.  ');
    if (rng.chance(0.4)) out += rng.pick(['  ', ' ', '   ', ' \t']);
    return out;
  });
  const lead = rng.pick(['', '\n', '\n\n']);
  const trail = rng.pick(['', '\n', '\n\n  ', '  \n']);
  return lead + lines.join('\n') + trail;
}
