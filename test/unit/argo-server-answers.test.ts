import { ArgoServerError, classifySetAnswer } from '../../src/backends/argo-server-backend.js';
import { classifyError } from '../../src/domain/errors.js';

// Bodies as argo-server's gRPC gateway writes them for util.SetWorkflow's errors (code 13: Internal).
const answer = (message: string) => new ArgoServerError(500, JSON.stringify({ code: 13, message }));

describe("argo-server's answers to a set", () => {
  it('reads "no suspend node matched" as a node that moved on', () => {
    const error = answer(
      'currently, set only targets suspend nodes: no suspend nodes matching nodeFieldSelector: id=play-1',
    );
    expect(classifySetAnswer(error)).toEqual({ outcome: 'stale', apiRequests: 2 });
  });

  it.each([
    "node is not expecting output parameter 'approver'",
    'cannot set output parameters because node is not expecting any raw parameters',
    "cannot set output parameter 'approver' because it does not use valueFrom.raw or it was already set",
  ])('reads "%s" as a rejected parameter', (message) => {
    expect(classifySetAnswer(answer(message))).toEqual(
      expect.objectContaining({ outcome: 'rejected', reason: 'UnexpectedParameter' }),
    );
  });

  it('leaves other errors to the classifier, which retries a 500', () => {
    const error = answer('etcdserver: request timed out');
    expect(classifySetAnswer(error)).toBeUndefined();
    expect(classifyError(error)).toBe('retryable');
    expect(classifySetAnswer(new ArgoServerError(502, '<html>bad gateway</html>'))).toBeUndefined();
  });
});
