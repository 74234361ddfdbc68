import { readFileSync } from 'node:fs';
import { optimizeTokens } from '@asahi/stages';
for (const l of readFileSync('/tmp/raw.jsonl', 'utf8').trim().split('\n')) {
  const line = JSON.parse(l);
  const r = optimizeTokens(line.body, { mode: 'aggressive' });
  if (!r.report.strategies.includes('dedupe-blocks') && !r.report.strategies.includes('collapse-spaces')) continue;
  console.log('=====', line.id, r.steps);
  console.log(line.body.messages[0].content.slice(0, 1200));
  console.log('----->');
  console.log(r.body.messages[0].content.slice(0, 1200));
}
