import type { Step, StepsRequest } from '@asahi/contracts';

export const MAX_STEPS = 16;

/** A validated step DAG: steps by id, a topological order (dependencies first), the output step. */
export interface StepGraph {
  steps: ReadonlyMap<string, Step>;
  order: readonly string[];
  output: string;
}

export type StepGraphResult = { ok: true; graph: StepGraph } | { ok: false; reason: string };

/** `{{input}}` and `{{steps.<id>}}`, with optional inner whitespace. Anything else is literal. */
export const PLACEHOLDER = /\{\{\s*(input|steps\.([A-Za-z0-9_-]+))\s*\}\}/g;

/** The step ids a template reads through `{{steps.<id>}}`. */
export function templateStepRefs(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].flatMap((m) => (m[2] ? [m[2]] : []));
}

/**
 * Checks a declared DAG: 1..16 steps, unique ids, dependencies that exist (not itself), templates
 * that only read steps they depend on, no cycle, an output step that exists, and every step
 * feeding the output (a step nobody uses would be paid for and thrown away).
 */
export function validateSteps(request: StepsRequest): StepGraphResult {
  const { steps } = request;
  if (steps.length === 0 || steps.length > MAX_STEPS)
    return fail(`a request has 1 to ${MAX_STEPS} steps, not ${steps.length}`);
  const byId = new Map<string, Step>();
  for (const step of steps) {
    if (byId.has(step.id)) return fail(`step id "${step.id}" is used twice`);
    byId.set(step.id, step);
  }
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (dep === step.id) return fail(`step "${step.id}" depends on itself`);
      if (!byId.has(dep)) return fail(`step "${step.id}" depends on unknown step "${dep}"`);
    }
    const unknown = templateStepRefs(step.template).find((ref) => !step.dependsOn.includes(ref));
    if (unknown !== undefined)
      return fail(`step "${step.id}" reads {{steps.${unknown}}} but does not depend on it`);
  }
  const order = topologicalOrder(steps);
  if (!order) return fail('the steps form a cycle');
  const output = request.output ?? steps[steps.length - 1]!.id;
  if (!byId.has(output)) return fail(`output step "${output}" does not exist`);
  const used = ancestorsOf(output, byId);
  const unused = steps.find((s) => !used.has(s.id));
  if (unused) return fail(`step "${unused.id}" does not feed the output step "${output}"`);
  return { ok: true, graph: { steps: byId, order, output } };
}

/** Kahn's algorithm, stable in declaration order; null when there is a cycle. */
function topologicalOrder(steps: readonly Step[]): string[] | null {
  const pending = new Map(steps.map((s) => [s.id, new Set(s.dependsOn)]));
  const order: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending].filter(([, deps]) => deps.size === 0).map(([id]) => id);
    if (ready.length === 0) return null;
    for (const id of ready) {
      pending.delete(id);
      order.push(id);
      for (const deps of pending.values()) deps.delete(id);
    }
  }
  return order;
}

/** The step and everything it transitively depends on. */
function ancestorsOf(id: string, byId: ReadonlyMap<string, Step>): Set<string> {
  const seen = new Set<string>();
  const visit = (at: string) => {
    if (seen.has(at)) return;
    seen.add(at);
    for (const dep of byId.get(at)?.dependsOn ?? []) visit(dep);
  };
  visit(id);
  return seen;
}

/**
 * Lays a DAG out as a tree of flow jobs (a BullMQ job has one parent). Each step hangs under its
 * earliest consumer; when a step has several consumers, the later ones are made to wait for that
 * earliest one, so every step runs below (before) every step that reads it. Independent branches
 * stay siblings and run in parallel; a diamond becomes a chain. Returns parent → children, with
 * the output step under the key `null` (the root's only child).
 */
export function planFlowTree(graph: StepGraph): Map<string | null, string[]> {
  const position = new Map(graph.order.map((id, i) => [id, i]));
  // consumers[s]: steps that must finish after s, growing as ordering edges are added.
  const consumers = new Map<string, Set<string>>(graph.order.map((id) => [id, new Set()]));
  const reach = new Map<string, Set<string>>(); // x → every step x (transitively) waits for
  for (const id of graph.order) {
    const deps = graph.steps.get(id)!.dependsOn;
    reach.set(id, new Set(deps.flatMap((d) => [d, ...reach.get(d)!])));
    for (const dep of deps) consumers.get(dep)!.add(id);
  }
  const children = new Map<string | null, string[]>([[null, [graph.output]]]);
  for (const id of graph.order) {
    if (id === graph.output) continue;
    const users = [...consumers.get(id)!].sort((a, b) => position.get(a)! - position.get(b)!);
    const owner = users[0]!;
    for (const later of users.slice(1)) {
      if (reach.get(later)!.has(owner)) continue;
      // Ordering edge later → owner: later (and whatever waits for later) now waits for owner.
      consumers.get(owner)!.add(later);
      const gained = [owner, ...reach.get(owner)!];
      for (const [x, set] of reach)
        if (x === later || set.has(later)) gained.forEach((g) => set.add(g));
    }
    children.set(owner, [...(children.get(owner) ?? []), id]);
  }
  return children;
}

function fail(reason: string): StepGraphResult {
  return { ok: false, reason };
}
