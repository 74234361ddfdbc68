import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatRequest } from '@asahi/contracts';
import { dedupeBlocks, referenceLine } from './dedupe-blocks.strategy';

const DOC_A =
  'Cafe24 is a global success platform that provides a one-stop business environment for ' +
  'global e-commerce merchants so that they can achieve continued growth by focusing on their ' +
  'creativity, while the platform handles payments and shipping.';
const DOC_B =
  'It has formed partnerships with more than 100 partners across the world, including Google, ' +
  'Facebook, Amazon, Baidu, TikTok, Alibaba Group, Shopee, Paypal and Softbank Payment Service.';
const DOC = `${DOC_A}\n\n${DOC_B}`;
const REF = referenceLine(`p:${DOC_A}`);
const CODE =
  '```python\ndef total(items):\n    return sum(i.price * i.quantity for i in items if i.active)\n\nitems = load_items("inventory.csv", skip_header=True)\nprint(f"total value of the active inventory items: {total(items):.2f}")\n```';

const u = (content: string): ChatMessage => ({ role: 'user', content });
const a = (content: string): ChatMessage => ({ role: 'assistant', content });
const req = (...messages: ChatMessage[]): ChatRequest => ({ model: 'gpt-4o-mini', messages });
const contents = (body: ChatRequest) => body.messages.map((m) => m.content);

describe('dedupeBlocks', () => {
  it.each([
    [
      'a document pasted again in a later turn',
      req(
        u(`Read this:\n\n${DOC}\n\nSummarize.`),
        a('Done.'),
        u(`Again:\n\n${DOC}\n\nWho are the partners?`),
      ),
      [`Read this:\n\n${DOC}\n\nSummarize.`, 'Done.', `Again:\n\n${REF}\n\nWho are the partners?`],
    ],
    [
      'a re-paste with different spacing',
      req(u(DOC), u(`${DOC_A.replace(/ /g, '  ')}   \n\n\n\n${DOC_B}\n\nQuestion?`)),
      [DOC, `${REF}\n\nQuestion?`],
    ],
    [
      'a passage repeated inside one message',
      req(u(`${DOC}\n\nand once more:\n\n${DOC}`)),
      [`${DOC}\n\nand once more:\n\n${REF}`],
    ],
    [
      'an assistant quoting the user back',
      req(u(DOC), a(`You wrote:\n\n${DOC}\n\nIt is a company.`), u('Thanks')),
      [DOC, `You wrote:\n\n${REF}\n\nIt is a company.`, 'Thanks'],
    ],
    [
      'retrieved chunks that repeat under new headings',
      req(u(`Document 1:\n${DOC_A}\n\nDocument 2:\n${DOC_B}\n\nDocument 3:\n${DOC_A}\n\nQ?`)),
      [`Document 1:\n${DOC_A}\n\nDocument 2:\n${DOC_B}\n\nDocument 3:\n${REF}\n\nQ?`],
    ],
    [
      'a document with short paragraphs between long ones, as one reference',
      req(
        u(`${DOC_A}\n\nDate 2022-11-23\n\nAd. 1.\n\n${DOC_B}`),
        u(`${DOC_A}\n\nDate 2022-11-23\n\nAd. 1.\n\n${DOC_B}\n\nSo?`),
      ),
      [`${DOC_A}\n\nDate 2022-11-23\n\nAd. 1.\n\n${DOC_B}`, `${REF}\n\nSo?`],
    ],
    [
      'a repeated code block',
      req(u(`Fix this:\n${CODE}`), u(`Still broken:\n${CODE}`)),
      [`Fix this:\n${CODE}`, `Still broken:\n${referenceLine(`c:${CODE}`)}`],
    ],
  ])('replaces later copies: %s', (_name, body, expected) => {
    const once = dedupeBlocks(body);
    expect(contents(once)).toEqual(expected);
    expect(dedupeBlocks(once)).toBe(once);
  });

  it.each([
    ['short repeats', req(u('Thanks, that helps a lot.'), u('Thanks, that helps a lot.'))],
    ['different text', req(u(DOC_A), u(DOC_B))],
    [
      'code that differs only in indentation (meaning, in Python)',
      req(u(CODE), u(CODE.replace('    return', '  return'))),
    ],
    ['one message', req(u(DOC))],
    [
      'part of a paragraph (a second version of unfenced code sharing lines with the first)',
      req(
        u(
          `v1:\n${DOC_A}\n${DOC_B}\nreturn first_result_of_the_old_version(items, options, context)`,
        ),
        u(
          `v2:\n${DOC_A}\n${DOC_B}\nreturn second_result_of_the_new_version(items, options, context)`,
        ),
      ),
    ],
  ])('leaves alone: %s', (_name, body) => {
    expect(dedupeBlocks(body)).toBe(body);
  });

  it('keeps new short lines at the edges of a repeat', () => {
    const body = req(u(`Intro line that is new.\n${DOC_A}`), u(`Hi!\n${DOC_A}\nBye!`));
    expect(contents(dedupeBlocks(body))[1]).toBe(`Hi!\n${REF}\nBye!`);
  });

  it('references are short and name the passage by its opening words', () => {
    expect(REF).toBe(
      '[Repeated text omitted: identical to the passage above beginning "Cafe24 is a global success platform that provides…"]',
    );
    expect(REF.length).toBeLessThan(200);
  });
});
