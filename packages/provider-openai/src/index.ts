export { createOpenAiChatProvider, toProviderError } from './openai-chat.provider';
export type { OpenAiProviderOptions } from './openai-chat.provider';
export { createOpenAiEmbedder } from './openai-embedder';
export type { OpenAiEmbedderOptions } from './openai-embedder';
