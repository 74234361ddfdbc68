/** The result of a pure validation step: a value, or the reasons with their exact paths. */

export interface Issue {
  /** Dotted path into the input (`messages.0.role`), `(root)` for the input itself. */
  path: string;
  message: string;
}

export type Invalid = { ok: false; reason: string; issues: Issue[] };
export type Outcome<T> = { ok: true; value: T } | Invalid;

export function invalid(issues: Issue[]): Invalid {
  return { ok: false, reason: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues };
}
