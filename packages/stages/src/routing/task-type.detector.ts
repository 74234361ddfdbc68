import type { ChatMessage, TaskType } from '@asahi/contracts';

/**
 * Heuristic task-type detection, so AUTOPILOT can look up the right quality score without a model
 * call. Each rule that matches adds its weight to its task; the highest total wins, ties go to the
 * more specific task (TIE_ORDER). Below MIN_SCORE the prompt is plain chat, or qa when it asks a
 * question. A wrong guess costs little: the floor still applies to the guessed task, and callers
 * can pin the task with `routing.taskType`.
 */
interface Rule {
  task: TaskType;
  weight: number;
  pattern: RegExp;
}

const LANGUAGES =
  'english|french|spanish|german|italian|portuguese|dutch|russian|ukrainian|polish|turkish|arabic|hebrew|' +
  'hindi|bengali|urdu|chinese|mandarin|cantonese|japanese|korean|vietnamese|thai|indonesian|malay|' +
  'swedish|norwegian|danish|finnish|greek|czech|romanian|hungarian|persian|farsi|swahili|tagalog|en|fr|de|es|ja|ko|zh';

const TECH =
  'python|javascript|typescript|java|c\\+\\+|c#|golang|rust|php|ruby|kotlin|swiftui|scala|perl|lua|sql|mysql|' +
  'postgres(?:ql)?|bash|powershell|html|css|react(?:-native| native|\\.js)?|node\\.?js|django|flask|fastapi|' +
  'pandas|numpy|pytorch|tensorflow|kubernetes|k8s|docker(?:file)?|yaml|regex|appscript|micropython|' +
  'android sdk|ios sdk|graphql|knex|git(?:hub|lab)?|ci/?cd|css|dataframe|api';

const CODE_ARTIFACTS =
  'code|function|program|class|method|query|snippet|regex|algorithm|endpoint|unit tests?|deployment|' +
  'dockerfile|component|appscript|module|library';

const RULES: readonly Rule[] = [
  // code
  { task: 'code', weight: 4, pattern: /```/ },
  { task: 'code', weight: 1.5, pattern: new RegExp(`\\b(?:${TECH})(?![\\w])`) },
  {
    task: 'code',
    weight: 3,
    pattern: new RegExp(
      `\\b(?:write|create|generate|implement|build|give me|rewrite|convert|port|translate|fix|need|develop)\\b[^.?!\\n]{0,60}\\b(?:${CODE_ARTIFACTS})s?\\b`,
    ),
  },
  {
    task: 'code',
    weight: 3,
    pattern: new RegExp(`\\b(?:${TECH}) (?:script|code|program|function|node|class)\\b`),
  },
  {
    task: 'code',
    weight: 3,
    pattern: new RegExp(
      `\\b(?:script|code|program|function) (?:in|using|with) (?:${TECH})(?![\\w])`,
    ),
  },
  { task: 'code', weight: 1.5, pattern: /\b(?:code|coding|source code|codebase)\b/ },
  {
    task: 'code',
    weight: 2,
    pattern:
      /\b(?:debug|refactor|compile[sd]?|stack ?trace|traceback|typeerror|syntaxerror|segfault|npm err|exception|thread(?:s|ing)?|idiom)\b/,
  },
  {
    task: 'code',
    weight: 2,
    pattern:
      /(?:\bdef \w+\(|\bfunction\s*\w*\s*\(|=>|\b(?:const|let|var) \w+ =|^import \w+|#include|\bpublic (?:static )?(?:void|class)|\b\w+\.\w+\([^\n]{0,200}\)\s*;)/m,
  },

  // translation
  { task: 'translation', weight: 4, pattern: /\btranslat(?:e|ion|ing)\b/ },
  {
    task: 'translation',
    weight: 4,
    pattern: /\b(?:traduc|traduis|traduz|tradurre|übersetze)|翻訳|翻译|번역/,
  },
  {
    task: 'translation',
    weight: 4,
    pattern: new RegExp(`\\bhow (?:do|would|can) (?:you|i|we) say\\b.*\\bin (?:${LANGUAGES})\\b`),
  },
  {
    task: 'translation',
    weight: 4,
    pattern: new RegExp(`^(?:${LANGUAGES}) (?:to|->|→) (?:${LANGUAGES})\\b`),
  },
  { task: 'translation', weight: 1, pattern: new RegExp(`\\binto (?:${LANGUAGES})\\b`) },

  // summarization
  {
    task: 'summarization',
    weight: 4,
    pattern: /\b(?:summar(?:y|ies|ize|ise|ized|ised|izing|ising)|tl;?dr|synopsis|recap)\b/,
  },
  { task: 'summarization', weight: 3, pattern: /\b(?:key|main) (?:points|takeaways|ideas)\b/ },
  { task: 'summarization', weight: 3, pattern: /\b(?:condense|boil down|in a nutshell|gist of)\b/ },

  // extraction
  { task: 'extraction', weight: 3, pattern: /\bextract(?:s|ing)?\b/ },
  {
    task: 'extraction',
    weight: 2.5,
    pattern:
      /\b(?:list|find|identify|pull out|get|return) (?:all|every|each)\b(?! (?:videos|files|the steps))/,
  },
  { task: 'extraction', weight: 2.5, pattern: /\bpull out\b/ },
  {
    task: 'extraction',
    weight: 3,
    pattern: /\b(?:return|output|respond|reply|format|give)\b[^.\n]{0,40}\bjson\b/,
  },
  { task: 'extraction', weight: 2, pattern: /\b(?:parse|named entities)\b/ },
  {
    task: 'extraction',
    weight: 1.5,
    pattern:
      /\bfrom (?:this|the following|the text|the document|the email|the invoice|the sentence)\b/,
  },
  { task: 'extraction', weight: 1, pattern: /\b(?:fields?|key[- ]value)\b/ },

  // classification
  {
    task: 'classification',
    weight: 3.5,
    pattern: /\b(?:classify|categori[sz]e|categori[sz]ation)\b/,
  },
  { task: 'classification', weight: 3, pattern: /\b(?:label|tag) (?:each|the|this|these|it)\b/ },
  { task: 'classification', weight: 3, pattern: /\bsentiment\b/ },
  {
    task: 'classification',
    weight: 3,
    pattern: /\bis (?:this|it|the) (?:\w+ )?(?:spam|positive|negative|toxic|offensive|a scam)\b/,
  },
  {
    task: 'classification',
    weight: 3,
    pattern: /\b(?:which|what) (?:category|class|label|intent|topic)\b/,
  },
  { task: 'classification', weight: 1.5, pattern: /\bintent\b/ },
  { task: 'classification', weight: 1, pattern: /\b(?:yes or no|true or false)\b/ },

  // reasoning
  {
    task: 'reasoning',
    weight: 3,
    pattern:
      /\b(?:prove|proof|deduce|logic(?:al)? puzzle|riddle|brain ?teaser|syllogism|explain your reasoning|think step by step|let'?s think)\b/,
  },
  { task: 'reasoning', weight: 2, pattern: /\b(?:most suitable choice|which of the following)\b/ },
  {
    task: 'reasoning',
    weight: 3,
    pattern: /\b(?:probability|solve for|equations?|expected value|integral|derivative|theorem)\b/,
  },
  { task: 'reasoning', weight: 1.5, pattern: /\b(?:how many|how much does|calculat(?:e|ion))\b/ },
  { task: 'reasoning', weight: 1.5, pattern: /\bstep[- ]by[- ]step\b(?! (?:guide|instructions))/ },
  { task: 'reasoning', weight: 1.5, pattern: /\d\s*[-+*/×^=]\s*\d|\d+(?:\.\d+)?\s*%|\$\d/ },
  { task: 'reasoning', weight: 1, pattern: /\bif all\b|\bdefinitely\b|\btherefore\b/ },

  // qa
  {
    task: 'qa',
    weight: 1.5,
    // A question, with or without its question mark.
    pattern:
      /^(?:what|who|when|where|why|how|which|is|are|does|do|can|could|should|did|was|were)\b[^\n]*\?|^(?:how|what|why) (?:can|do|does|to|is|are)\b|^question:/,
  },
  {
    task: 'qa',
    weight: 1.5,
    pattern:
      /\b(?:explain|what is|what are|what's|tell me about|difference between|define|definition of|meaning of|how does|how do i|how to|why do|why does|why are|compare)\b/,
  },
  {
    task: 'qa',
    weight: 2,
    pattern: /\b(?:who is|who was|who wrote|when did|where is|do you know)\b/,
  },
  { task: 'qa', weight: 1.5, pattern: /\b(?:trying to understand|want to know|wondering)\b/ },

  // chat
  { task: 'chat', weight: 1.5, pattern: /^(?:hi|hello|hey|good (?:morning|evening))\b/ },
  {
    task: 'chat',
    weight: 1.5,
    pattern:
      /\b(?:act as|pretend|role ?play|let'?s play|you are an? (?!helpful|friendly|useful)|i want you to)\b/,
  },
  {
    task: 'chat',
    weight: 2,
    pattern:
      /\b(?:write|compose|draft|create|generate|give me|make|outline)\b[^.\n]{0,50}\b(?:poem|story|letter|email|essay|blog|article|post|joke|song|script|speech|ad copy|tweet|caption|outline|plan|ideas|list|recipe|fanfiction|blurb|statement|introduction|prompt)s?\b/,
  },
  {
    task: 'chat',
    weight: 2,
    pattern: /\b(?:rephrase|rewrite|paraphrase|proofread|recommend|suggest)\b/,
  },
];

/** Equal scores go to the earlier (more specific) task. */
const TIE_ORDER: readonly TaskType[] = [
  'translation',
  'summarization',
  'extraction',
  'classification',
  'code',
  'reasoning',
  'qa',
  'chat',
];

/** Below this total nothing specific was recognised. */
const MIN_SCORE = 1.5;

/**
 * How much of a text is scored: its head and its tail, where instructions sit around a pasted
 * document. Bodies may be 1 MB; the rules look at ~8 KB, so detection time does not grow with
 * the prompt. Patterns that scan between two parts are bounded too (`[^\n]{0,200}`, a `\b`
 * before a leading `\w+`): unbounded, they were quadratic on long lines.
 */
export const SCORED_HEAD_CHARS = 6_144;
export const SCORED_TAIL_CHARS = 2_048;

/** The part of a text the rules see: all of it up to ~8 KB, else its head and tail. */
export function scoredPart(text: string): string {
  if (text.length <= SCORED_HEAD_CHARS + SCORED_TAIL_CHARS) return text;
  return `${text.slice(0, SCORED_HEAD_CHARS)}\n${text.slice(-SCORED_TAIL_CHARS)}`;
}

/** Scores of every task for one text (lower-cased; see `scoredPart`), for tests and explanations. */
export function scoreTaskTypes(text: string): Record<TaskType, number> {
  const scores = Object.fromEntries(TIE_ORDER.map((t) => [t, 0])) as Record<TaskType, number>;
  const lower = scoredPart(text).toLowerCase();
  for (const rule of RULES) if (rule.pattern.test(lower)) scores[rule.task] += rule.weight;
  return scores;
}

/**
 * The task a chat request asks for, judged from its system messages and its last user message
 * (earlier turns are context, not the instruction).
 */
export function detectTaskType(messages: readonly ChatMessage[]): TaskType {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const system = messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => m.content);
  const instruction = (lastUser?.content ?? '').trim();
  const scores = scoreTaskTypes([...system, instruction].join('\n').trim());
  let best: TaskType = TIE_ORDER[0] ?? 'chat';
  for (const task of TIE_ORDER) if (scores[task] > scores[best]) best = task;
  if (scores[best] >= MIN_SCORE) return best;
  return instruction.endsWith('?') ? 'qa' : 'chat';
}
