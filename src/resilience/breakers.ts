// Circuit breakers around resume writes, keyed so that no tenant's failures open a breaker for
// another: one per backend and namespace (`backend:<backend>/<namespace>`), so an API outage
// stops the flood of attempts from a namespace's requests at once while a namespace whose
// workflows keep failing cannot stop the others, and one per workflow, so a single broken
// workflow does not trip its namespace's. Per-workflow breakers live in a bounded LRU. Only
// retryable errors count as failures: a 409 or 404 is normal controller traffic and must never
// open a circuit, and neither is a resume the backend refused as invalid.
import {
  CircuitState,
  ConsecutiveBreaker,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  isTaskCancelledError,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { classifyError } from '../domain/errors.js';

export interface BreakerSettings {
  consecutiveFailures: number;
  halfOpenAfterMs: number;
  workflowCapacity: number;
  /** Bound on one attempt; a hung API call counts as a retryable failure. */
  attemptTimeoutMs: number;
}

/** 0 closed, 1 half-open, 2 open: the scale of the circuit_breaker_state metric. */
export type BreakerGauge = (breaker: string, value: 0 | 1 | 2) => void;

const gaugeValue = (state: CircuitState): 0 | 1 | 2 =>
  state === CircuitState.Closed ? 0 : state === CircuitState.HalfOpen ? 1 : 2;

export class BreakerRegistry {
  private readonly backendBreakers = new Map<string, CircuitBreakerPolicy>();
  private readonly workflowBreakers = new Map<string, CircuitBreakerPolicy>();
  /**
   * Bounds one attempt. The attempt never reads the policy's abort signal, so the signal is not
   * aborted when it returns: aborting builds a DOMException, stack and all, on every resume.
   */
  private readonly bounded: ReturnType<typeof timeout>;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly report: BreakerGauge = () => {},
  ) {
    this.bounded = timeout(settings.attemptTimeoutMs, {
      strategy: TimeoutStrategy.Aggressive,
      abortOnReturn: false,
    });
  }

  /**
   * Runs `fn` through the namespace's backend breaker and the workflow's breaker, bounded by the
   * attempt timeout; throws BrokenCircuitError when either breaker is open.
   */
  execute<T>(backend: string, namespace: string, workflowName: string, fn: () => Promise<T>): Promise<T> {
    const breakers = wrap(
      this.backendBreaker(`${backend}/${namespace}`),
      this.workflowBreaker(`${namespace}/${workflowName}`),
    );
    return breakers.execute(() =>
      this.bounded.execute(fn).catch((error: unknown) => {
        // A timed-out write may still land; the next attempt re-reads and sees it by its marker.
        if (isTaskCancelledError(error)) {
          throw Object.assign(new Error(`attempt timed out after ${this.settings.attemptTimeoutMs} ms`), {
            code: 'ETIMEDOUT',
          });
        }
        throw error;
      }),
    );
  }

  private backendBreaker(backend: string): CircuitBreakerPolicy {
    let breaker = this.backendBreakers.get(backend);
    if (!breaker) {
      breaker = this.create(`backend:${backend}`);
      this.backendBreakers.set(backend, breaker);
    }
    return breaker;
  }

  private workflowBreaker(key: string): CircuitBreakerPolicy {
    const name = `workflow:${key}`;
    let breaker = this.workflowBreakers.get(name);
    if (breaker) {
      this.workflowBreakers.delete(name); // re-inserted below: Map order is the LRU order
    } else {
      breaker = this.create(name);
    }
    this.workflowBreakers.set(name, breaker);
    while (this.workflowBreakers.size > this.settings.workflowCapacity) {
      const oldest = this.workflowBreakers.keys().next().value!;
      this.workflowBreakers.delete(oldest);
    }
    return breaker;
  }

  private create(name: string): CircuitBreakerPolicy {
    const breaker = circuitBreaker(
      handleWhen((error) => classifyError(error) === 'retryable'),
      {
        halfOpenAfter: this.settings.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.settings.consecutiveFailures),
      },
    );
    // Only backend breakers become metric series: per-workflow ones would be unbounded labels.
    if (name.startsWith('backend:')) {
      breaker.onStateChange((state) => this.report(name, gaugeValue(state)));
      this.report(name, 0);
    }
    return breaker;
  }
}
