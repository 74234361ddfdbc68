import type { RequestMessage, Step, StepsRequest, TenantPolicy } from '@asahi/contracts';
import { resolveOptimizationMode } from '../tokens/token-policy';

/** Below this a document is cheap to read whole; condensing it first would not pay off. */
export const MIN_CONDENSE_CHARS = 4_000;

const SUMMARIZE_THEN_TRANSLATE =
  /^\s*summari[sz]e\s+(?:the\s+following|this)\s+(document|text|article|passage|report)\s*,?\s+(?:and\s+)?then\s+translate\s+(?:the|this|that|your)\s+summary\s+(?:in)?to\s+([A-Za-z]{2,20}(?:[ -][A-Za-z]{2,20})?)\s*[:.]\s*([\s\S]*\S[\s\S]*)$/i;
const READ_AND_ANSWER =
  /^\s*read\s+(?:the\s+following|this)\s+document\s+and\s+answer(?:\s+the\s+question)?\s*:\s*([^\n]+?)\s*\n\s*\n([\s\S]+)$/i;
const DOCUMENT_THEN_QUESTION =
  /^\s*document\s*:\s*\n([\s\S]+?)\n\s*\n\s*question\s*:\s*([^\n]+?)\s*$/i;

/**
 * Turns a common multi-step prompt into declared steps, or returns null. Conservative by design:
 * only a single user message (no system prompt to lose), only parameters that steps carry over
 * (no stop or penalties), only deterministic requests unless marked cacheable, and only when the
 * optimization mode allows it — the request's own, else the tenant's, else the platform default
 * (`resolveOptimizationMode`, as token optimization resolves it). Recognised forms:
 *
 * - "Summarize the following document and then translate the summary into French: <doc>"
 *   (optimization `safe` or `aggressive`) → summarize → translate. The split is what the prompt
 *   itself asks for; the summary step is shared by every later translation of the same document.
 * - "Read this document and answer: <question>\n\n<doc>" or "Document:\n<doc>\n\nQuestion: <q>"
 *   with a long document (optimization `aggressive` only: answering from notes can lose detail)
 *   → notes (shared by every question over the document) → answer.
 */
export function decomposeRequest(
  request: RequestMessage,
  policy?: Pick<TenantPolicy, 'optimization'>,
): StepsRequest | null {
  if (request.steps) return null;
  const mode = resolveOptimizationMode(request.optimization, policy);
  if (mode === 'off') return null;
  const { body } = request;
  if (body.messages.length !== 1 || body.messages[0]!.role !== 'user') return null;
  if (body.stop !== undefined || body.presence_penalty || body.frequency_penalty) return null;
  if ((body.temperature ?? 0) > 0 && request.cache?.cacheable !== true) return null;
  const content = body.messages[0]!.content;
  const cap = body.max_tokens === undefined ? {} : { max_tokens: body.max_tokens };

  const translate = SUMMARIZE_THEN_TRANSLATE.exec(content);
  if (translate) {
    const [, noun, language, document] = translate as unknown as [string, string, string, string];
    return chain(document, [
      {
        id: 'summarize',
        template: `Summarize the following ${noun.toLowerCase()}.\n\n{{input}}`,
        ...cap,
      },
      {
        id: 'translate',
        template: `Translate the following text into ${language}. Reply with the translation only.\n\n{{steps.summarize}}`,
        ...cap,
      },
    ]);
  }
  if (mode !== 'aggressive') return null;
  const read = READ_AND_ANSWER.exec(content);
  const asked = DOCUMENT_THEN_QUESTION.exec(content);
  const question = read?.[1] ?? asked?.[2];
  const document = read?.[2] ?? asked?.[1];
  if (question === undefined || document === undefined) return null;
  // The question goes into a template: anything that looks like a placeholder stays out.
  if (document.length < MIN_CONDENSE_CHARS || question.includes('{{') || question.length > 1_000)
    return null;
  return chain(document, [
    {
      id: 'notes',
      template:
        'Extract from the following document, as concise notes, every fact, figure, name, date, ' +
        'definition and claim it contains, so that any question about the document can be ' +
        'answered from the notes alone.\n\n{{input}}',
    },
    {
      id: 'answer',
      template: `Answer the question using only these notes taken from a document.\n\nNotes:\n{{steps.notes}}\n\nQuestion: ${question}`,
      ...cap,
    },
  ]);
}

/** Steps where each one depends on the one before. */
function chain(input: string, steps: Omit<Step, 'dependsOn'>[]): StepsRequest {
  return {
    input,
    steps: steps.map((s, i) => ({ ...s, dependsOn: i === 0 ? [] : [steps[i - 1]!.id] })),
  };
}
