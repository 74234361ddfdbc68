/**
 * The three ways the deadline bench submits work to the ingest API: a sync call held open with
 * `Prefer: wait`, an async submit, and a bulk upload (OpenAI Batch JSONL). Throws on an answer
 * that is not an acceptance, with the status and body, so the caller counts it as an error.
 */
export interface IngestClient {
  /** POST /v1/jobs with `Prefer: wait=<waitS>`; `terminal` = answered within the wait (200). */
  sync(body: object, deadlineS: number): Promise<{ id: string; terminal: boolean }>;
  /** POST /v1/jobs, answered 202. */
  submit(body: object, deadlineS: number): Promise<{ id: string }>;
  /** POST /v1/bulk?completion_window=…, answered 202; the job ids of the accepted lines. */
  bulk(jsonl: string, completionWindow: string): Promise<{ ids: string[]; rejected: number }>;
}

export function ingestClient(baseUrl: string, apiKey: string, waitS: number): IngestClient {
  const auth = { authorization: `Bearer ${apiKey}` };
  const postJob = async (body: object, deadlineS: number, wait: boolean) => {
    const res = await fetch(`${baseUrl}/v1/jobs`, {
      method: 'POST',
      headers: {
        ...auth,
        'content-type': 'application/json',
        ...(wait ? { prefer: `wait=${waitS}` } : {}),
      },
      body: JSON.stringify({ ...body, deadline_seconds: deadlineS }),
    });
    const text = await res.text();
    if (res.status !== 200 && res.status !== 202)
      throw new Error(`POST /v1/jobs: ${res.status} ${text.slice(0, 300)}`);
    const view = JSON.parse(text) as { id: string; status: string };
    return { id: view.id, status: res.status };
  };
  return {
    async sync(body, deadlineS) {
      const { id, status } = await postJob(body, deadlineS, true);
      return { id, terminal: status === 200 };
    },
    async submit(body, deadlineS) {
      const { id, status } = await postJob(body, deadlineS, false);
      if (status !== 202) throw new Error(`POST /v1/jobs without a wait answered ${status}`);
      return { id };
    },
    async bulk(jsonl, completionWindow) {
      const query = new URLSearchParams({ completion_window: completionWindow });
      const res = await fetch(`${baseUrl}/v1/bulk?${query}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/jsonl' },
        body: jsonl,
      });
      const text = await res.text();
      if (res.status !== 202) throw new Error(`POST /v1/bulk: ${res.status} ${text.slice(0, 300)}`);
      const view = JSON.parse(text) as { jobs: { id: string }[]; rejected: unknown[] };
      return { ids: view.jobs.map((j) => j.id), rejected: view.rejected.length };
    },
  };
}
