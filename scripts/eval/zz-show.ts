import { readFileSync } from 'node:fs';
import { optimizeTokens } from '../../packages/stages/src/tokens/index';
const ids = process.argv.slice(3);
const mode = process.argv[2] as 'safe';
for (const l of readFileSync('data/eval/redundant-context.jsonl', 'utf8').trim().split('\n')) {
  const line = JSON.parse(l);
  if (!ids.includes(line.id)) continue;
  const r = optimizeTokens(line.body, { mode, taskType: line.taskType });
  console.log('=====', line.id, r.report, r.steps);
  for (const m of r.body.messages)
    console.log(
      `--- ${m.role}\n${m.content.length > 3000 ? m.content.slice(0, 1500) + '\n.....\n' + m.content.slice(-1500) : m.content}`,
    );
}
