export { createOpenAiChatProvider, toProviderError } from './openai-chat.provider';
export type { OpenAiProviderOptions } from './openai-chat.provider';
