export { createOpenAiChatProvider, toProviderError } from './openai-chat.provider';
export type { OpenAiProviderOptions } from './openai-chat.provider';
export { createOpenAiEmbedder } from './openai-embedder';
export type { OpenAiEmbedderOptions } from './openai-embedder';
export {
  openAiBatchClientFor,
  createOpenAiBatchClient,
  customIdsOf,
  parseBatchLines,
  toBatchJsonl,
} from './openai-batch.client';
export type {
  BatchCollection,
  BatchItemResult,
  BatchState,
  BatchStatus,
  BatchSubmitItem,
  BatchSubmitOptions,
  OpenAiBatchClient,
  OpenAiBatchClientOptions,
  ParsedBatchLines,
} from './openai-batch.client';
