// One PromQL instant query over Prometheus's HTTP API (GET /api/v1/query). Shared by the
// analysis provider and hypercare. A scalar comes back as one value; a vector as one value per
// series, in the order Prometheus returns them, with each series' labels.

export interface QueryResult {
  values: number[];
  series: Array<Record<string, string>>;
  resultType: string;
}

export class PrometheusQueryError extends Error {
  constructor(message: string, readonly kind: 'unreachable' | 'bad_query' | 'bad_response', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export async function instantQuery(baseUrl: string, query: string, opts: { timeoutMs?: number; time?: Date } = {}): Promise<QueryResult> {
  const u = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  u.searchParams.set('query', query);
  if (opts.time) u.searchParams.set('time', String(opts.time.getTime() / 1000));
  let res: Response;
  try {
    res = await fetch(u, { signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
  } catch (err) {
    throw new PrometheusQueryError(`Prometheus at ${u.origin} did not answer: ${(err as Error).message}`, 'unreachable', { cause: err });
  }
  let body: { status?: string; error?: string; errorType?: string; data?: { resultType: string; result: unknown } };
  try {
    body = (await res.json()) as typeof body;
  } catch (err) {
    throw new PrometheusQueryError(`Prometheus answered ${res.status} without JSON`, 'bad_response', { cause: err });
  }
  if (body.status !== 'success' || !body.data) {
    throw new PrometheusQueryError(`${body.errorType ?? `HTTP ${res.status}`}: ${body.error ?? 'no data'}`, body.errorType === 'bad_data' ? 'bad_query' : 'bad_response');
  }
  const { resultType, result } = body.data;
  if (resultType === 'scalar') return { resultType, values: [Number((result as [number, string])[1])], series: [{}] };
  if (resultType === 'vector') {
    const rows = result as Array<{ metric: Record<string, string>; value: [number, string] }>;
    return { resultType, values: rows.map((r) => Number(r.value[1])), series: rows.map((r) => r.metric) };
  }
  throw new PrometheusQueryError(`the query returned a ${resultType}; use an instant vector or scalar`, 'bad_query');
}
