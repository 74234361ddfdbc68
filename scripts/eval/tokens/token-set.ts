import type { ChatMessage, ChatRequest, OptimizationMode, TaskType } from '@asahi/contracts';

/**
 * One line of a token-optimization set (JSONL). `mode` is used when `npm run eval:tokens` gets no
 * `--mode`; `taskType` is what the router would have detected; `type` groups lines in the report.
 */
export interface TokenSetLine {
  id: string;
  type?: string;
  body: ChatRequest;
  mode?: OptimizationMode;
  taskType?: TaskType;
}

export type Message = ChatMessage;

export const user = (content: string): Message => ({ role: 'user', content });
export const assistant = (content: string): Message => ({ role: 'assistant', content });
export const system = (content: string): Message => ({ role: 'system', content });
