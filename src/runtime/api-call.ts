// Names the API call an error came from, so logs say `<verb> <resource> <namespace/name>: <HTTP
// code> <reason>: <message>` instead of client-node's raw text. The original error stays the
// `cause`, so classifyError still reads its HTTP status.
import * as k8s from '@kubernetes/client-node';
import { describeApiCall } from '../domain/errors.js';

/** The request options of a JSON merge patch (client-node sends strategic merge patch otherwise). */
export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';

  constructor(verb: string, resource: string, key: string, cause: unknown) {
    super(describeApiCall(verb, resource, key, cause), { cause });
  }
}

/** Runs one API call; a failure is rethrown as an ApiCallError that names the call. */
export async function apiCall<T>(
  verb: string,
  resource: string,
  key: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ApiCallError(verb, resource, key, error);
  }
}
