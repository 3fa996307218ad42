// `ccr hypercare end`: a person ends the watch early. The request is a control request
// ('hypercare-end', service/release-service.ts); whoever drives the release claims it and, in
// the same transaction, records it under this key of release.data (a merge in SQL). The step
// sees it at its next reconcile, finishes as done and records who ended it.

export interface HypercareEndRequest {
  by: string;
  reason: string;
  at: string;
  requestId?: number;
}

export const END_KEY = 'hypercareEnd';
