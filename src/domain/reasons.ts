// Every reason a ResumeRequest's status can carry. docs/reasons.md explains each one to users
// (the phase it goes with, what happened, what to do); a unit test keeps the two lists equal.

export const Reason = {
  // In progress
  WorkflowNotFound: 'WorkflowNotFound',
  StageNotReached: 'StageNotReached',
  StageMismatch: 'StageMismatch',
  NoMatchingNode: 'NoMatchingNode',
  RetryScheduled: 'RetryScheduled',
  CircuitOpen: 'CircuitOpen',
  ApprovalsPending: 'ApprovalsPending',
  NodeStatusUnavailable: 'NodeStatusUnavailable',
  ApprovalWithdrawn: 'ApprovalWithdrawn',
  // In progress, then Ignored: no workflow of the event's repository (yet)
  RepositoryMismatch: 'RepositoryMismatch',
  UnboundWorkflow: 'UnboundWorkflow',
  // Succeeded
  Resumed: 'Resumed',
  ResumedByThisRequest: 'ResumedByThisRequest',
  ApprovalCounted: 'ApprovalCounted',
  // Ignored
  NotRelevant: 'NotRelevant',
  AlreadyResumed: 'AlreadyResumed',
  WorkflowCompleted: 'WorkflowCompleted',
  WorkflowShuttingDown: 'WorkflowShuttingDown',
  EventPredatesWorkflow: 'EventPredatesWorkflow',
  EventPredatesVisit: 'EventPredatesVisit',
  NotNewestRun: 'NotNewestRun',
  ReviewSuperseded: 'ReviewSuperseded',
  // Ignored: refused by the trust policy
  UntrustedApprover: 'UntrustedApprover',
  ForkPullRequest: 'ForkPullRequest',
  OtherPullRequest: 'OtherPullRequest',
  // Failed: the request itself
  InvalidSpec: 'InvalidSpec',
  InvalidTaskId: 'InvalidTaskId',
  MissingTaskId: 'MissingTaskId',
  AmbiguousTaskId: 'AmbiguousTaskId',
  MissingEventType: 'MissingEventType',
  AmbiguousEventType: 'AmbiguousEventType',
  InvalidLabelSelector: 'InvalidLabelSelector',
  InvalidNodeFieldSelector: 'InvalidNodeFieldSelector',
  ValidationFailed: 'ValidationFailed',
  // Failed: the workflow
  MultipleCandidates: 'MultipleCandidates',
  InvalidApprovalGate: 'InvalidApprovalGate',
  OffloadedNodeStatus: 'OffloadedNodeStatus',
  InvalidCompressedNodes: 'InvalidCompressedNodes',
  MissingParameterValue: 'MissingParameterValue',
  UnexpectedParameter: 'UnexpectedParameter',
  // Failed: talking to the API
  RetriesExhausted: 'RetriesExhausted',
  NoProgress: 'NoProgress',
  BackendError: 'BackendError',
} as const;

export type Reason = (typeof Reason)[keyof typeof Reason];

export const ALL_REASONS: readonly Reason[] = Object.values(Reason);
