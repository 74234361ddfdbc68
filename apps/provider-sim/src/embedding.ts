import { createHash } from 'node:crypto';
import { sfc32 } from './prng';

/** Frequent function words carry little meaning; down-weighting them keeps unrelated texts apart. */
const STOPWORDS = new Set(
  'a an the and or but of in on at to for with from by is are was were be been it its this that these those as i you he she we they'.split(
    ' ',
  ),
);

const WORD_WEIGHT = 1;
const STOPWORD_WEIGHT = 0.15;
const BIGRAM_WEIGHT = 0.5;
const TRIGRAM_WEIGHT = 0.25;

/**
 * Weighted features of a text: lower-cased words, adjacent-word bigrams (order) and character
 * trigrams of each word (spelling variants and inflections: "sitting" ~ "sits"). Term
 * frequencies are damped (1 + ln tf) so a repeated word does not dominate.
 */
export function textFeatures(text: string): Map<string, number> {
  const words =
    text
      .toLowerCase()
      .normalize('NFKC')
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const counts = new Map<string, number>();
  const add = (feature: string, weight: number) =>
    counts.set(feature, (counts.get(feature) ?? 0) + weight);
  words.forEach((word, i) => {
    const stop = STOPWORDS.has(word);
    add(`w:${word}`, stop ? STOPWORD_WEIGHT : WORD_WEIGHT);
    const next = words[i + 1];
    if (next !== undefined) add(`b:${word} ${next}`, BIGRAM_WEIGHT);
    if (stop) return;
    const padded = ` ${word} `;
    for (let j = 0; j + 3 <= padded.length; j += 1)
      add(`t:${padded.slice(j, j + 3)}`, TRIGRAM_WEIGHT);
  });
  for (const [feature, weight] of counts)
    counts.set(feature, weight > 1 ? 1 + Math.log(weight) : weight);
  return counts;
}

/**
 * A deterministic unit vector: each feature is projected by its own fixed pseudo-random
 * direction (uniform in [-1, 1) per coordinate, seeded from the model and the feature), i.e. a
 * fixed random projection of the hashed feature space. Texts sharing features get high cosine.
 * Only the first `dimensions` coordinates are generated, so a shortened vector equals the
 * renormalised prefix of the full one, like OpenAI's `dimensions` parameter.
 */
export function embedText(text: string, model: string, dimensions: number): Float32Array {
  const acc = new Float64Array(dimensions);
  const features = textFeatures(text);
  if (features.size === 0) features.set('empty:', 1);
  for (const [feature, weight] of features) {
    const digest = createHash('sha256').update(`${model}\u0000${feature}`).digest();
    const rng = sfc32(
      digest.readUInt32LE(0),
      digest.readUInt32LE(4),
      digest.readUInt32LE(8),
      digest.readUInt32LE(12),
    );
    for (let i = 0; i < dimensions; i += 1) acc[i] = (acc[i] ?? 0) + weight * (rng() * 2 - 1);
  }
  return normalise(acc);
}

function normalise(values: Float64Array): Float32Array {
  let sum = 0;
  for (const v of values) sum += v * v;
  const norm = Math.sqrt(sum) || 1;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i += 1) out[i] = (values[i] ?? 0) / norm;
  return out;
}

/** What `encoding_format: "base64"` carries: the little-endian float32 bytes, base64-encoded. */
export function toBase64(vector: Float32Array): string {
  const buf = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

export function fromBase64(encoded: string): Float32Array {
  const buf = Buffer.from(encoded, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i += 1) out[i] = buf.readFloatLE(i * 4);
  return out;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
