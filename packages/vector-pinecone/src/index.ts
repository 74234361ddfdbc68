export {
  createPineconeVectorIndex,
  EXPIRES_AT_KEY,
  pineconeNamespace,
} from './pinecone-vector.index';
export type { PineconeVectorIndexOptions } from './pinecone-vector.index';
export { startPineconeFixture } from './pinecone-fixture';
export type { PineconeFixture, PineconeFixtureOptions } from './pinecone-fixture';
