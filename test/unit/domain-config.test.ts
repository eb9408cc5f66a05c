import { defaultDomainConfig, domainConfigSchema } from '../../src/domain/config.js';

const issues = (overrides: Record<string, unknown>) => {
  const parsed = domainConfigSchema.safeParse({ ...defaultDomainConfig, ...overrides });
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('the domain configuration schema', () => {
  it('accepts the defaults', () => {
    expect(issues({})).toEqual([]);
  });

  it('holds the conventions of CONTRACTS.md', () => {
    expect(defaultDomainConfig).toMatchObject({
      labels: {
        workflowType: 'workflow-type',
        taskId: 'task-id',
        currentStage: 'current-stage',
        repository: 'repository',
      },
      workflowType: 'play-orchestration',
      waitTimeoutSeconds: 1800,
      duplicatePolicy: 'newest',
      stopOlderDuplicates: false,
      markerAnnotationPrefix: 'resume.workflows.dev/',
    });
    expect(defaultDomainConfig.stages.map((s) => [s.stage, s.eventType, s.suspendNode])).toEqual([
      ['waiting-pr-created', 'pr-created', 'wait-pr-created'],
      ['waiting-ready-for-qa', 'pr-labeled-ready', 'wait-ready-for-qa'],
      ['waiting-pr-approved', 'pr-approved', 'wait-pr-approved'],
    ]);
  });

  it.each([
    [
      { taskIdBranchPatterns: ['^task-[0-9]+$'] },
      'taskIdBranchPatterns.0: must have exactly one capture group (the task id)',
    ],
    [
      { taskIdLabelPatterns: ['^(a)(b)$'] },
      'taskIdLabelPatterns.0: must have exactly one capture group (the task id)',
    ],
    [
      { taskIdLabelPatterns: ['^task-((?$'] },
      'taskIdLabelPatterns.0: not an RE2 pattern: error parsing regexp: invalid or unsupported Perl syntax',
    ],
    [{ taskIdBranchPatterns: ['^task-(?<=x)([0-9]+)$'] }, 'taskIdBranchPatterns.0: not an RE2 pattern'],
    [
      { labels: { ...defaultDomainConfig.labels, taskId: 'task id' } },
      'labels.taskId: must be a valid label key',
    ],
    [{ workflowType: 'play,x' }, 'workflowType: must be a valid, non-empty label value'],
    [{ waitTimeoutSeconds: 0 }, 'waitTimeoutSeconds: Too small: expected number to be >=1'],
    [{ duplicatePolicy: 'oldest' }, 'duplicatePolicy: Invalid option: expected one of "newest"|"fail"'],
    [
      { markerAnnotationPrefix: 'resume.workflows.dev' },
      'markerAnnotationPrefix: Invalid string: must match pattern',
    ],
    [
      {
        stages: [
          ...defaultDomainConfig.stages,
          { ...defaultDomainConfig.stages[0]!, eventType: 'pr-approved' },
        ],
      },
      'stages: stage names must be unique',
    ],
  ])('refuses %j', (overrides, message) => {
    expect(issues(overrides).join('\n')).toContain(message);
  });

  it('accepts a non-capturing group beside the capture', () => {
    expect(issues({ taskIdBranchPatterns: ['^(?:feature|fix)/task-([0-9]+)$'] })).toEqual([]);
  });
});
