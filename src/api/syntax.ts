// Patterns and limits shared by the zod schemas and the CRD's OpenAPI schema. Every pattern is
// written in the subset that both JavaScript and the API server's RE2 accept (no lookaround, no
// backreferences), so the same string can be compared field by field between the two.

/** A Kubernetes label value that is not empty: what a task id must be to be selected on. */
export const LABEL_VALUE_PATTERN = '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
export const LABEL_VALUE_MAX = 63;

/** A GitHub repository as owner/name (GitHub's own rules: owner ≤ 39, name ≤ 100). */
export const REPOSITORY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$';
export const REPOSITORY_MAX = 140;

/** A Kubernetes object name (DNS subdomain). */
export const OBJECT_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const OBJECT_NAME_MAX = 253;

export const DELIVERY_ID_PATTERN = '^[A-Za-z0-9-]+$';
export const DELIVERY_ID_MAX = 64;
export const GITHUB_ACTION_PATTERN = '^[a-z_]+$';
export const GITHUB_ACTION_MAX = 40;
/** A GitHub login (managed enterprise users add `_shortcode`); apps act as `name[bot]`. */
export const GITHUB_LOGIN_PATTERN = '^[A-Za-z0-9_.-]+(\\[bot\\])?$';
export const GITHUB_LOGIN_MAX = 64;
export const GITHUB_LABEL_MAX = 100;
export const GITHUB_LABELS_MAX_ITEMS = 100;
/** Git's ref-name rules, reduced to refusing what can never be in a branch name. */
export const HEAD_REF_PATTERN = '^[^\\x00-\\x20\\x7f~^:?*\\[\\\\]+$';
export const HEAD_REF_MAX = 255;
export const TITLE_MAX = 256;

export const PR_NUMBER_MAX = 2_147_483_647;
/** Ten years: the longest a finished request may be kept (spec.ttlSecondsAfterFinished, --ttl-seconds-after-finished). */
export const TTL_SECONDS_MAX = 315_360_000;
/** GitHub's numeric ids (accounts, reviews): at most 15 digits, well within a JSON number's exact range. */
export const GITHUB_ID_MAX = 999_999_999_999_999;

/** Selectors are refused when they hold anything beyond the characters their grammar uses. */
export const LABEL_SELECTOR_PATTERN = '^[A-Za-z0-9 ._/=!,()-]*$';
export const NODE_FIELD_SELECTOR_PATTERN = '^[A-Za-z0-9 ._/=!,()\\[\\]:\\\\-]*$';
export const SELECTOR_MAX = 1024;

/** Argo parameter names: letters, digits, `_` and `-`. */
export const PARAMETER_NAME_PATTERN = '^[A-Za-z0-9_-]+$';
export const PARAMETER_NAME_MAX = 128;
export const PARAMETER_VALUE_MAX = 4096;
export const PARAMETERS_MAX_PROPERTIES = 32;

/** `workflow.`, `event.` or `github.` followed by `.key`, `['quoted/key']` or `[index]` steps. */
export const RULE_FIELD_PATTERN =
  "^(workflow|event|github)(\\.[A-Za-z0-9_-]+|\\['[A-Za-z0-9_./-]+'\\]|\\[[0-9]+\\])+$";
export const RULE_FIELD_MAX = 256;
export const RULE_VALUE_MAX = 256;
export const RULE_VALUES_MAX_ITEMS = 50;
export const RULES_MAX_ITEMS = 20;
export const RULE_MESSAGE_MAX = 256;

/**
 * eventPayload is a flat map of strings: a rule's `event.<path>` reads the value stored under its
 * path with `.` between the steps (`event.pull_request.base.ref` reads `pull_request.base.ref`).
 */
export const EVENT_PAYLOAD_MAX_PROPERTIES = 64;
export const EVENT_PAYLOAD_KEY_PATTERN = '^[A-Za-z0-9_./-]+$';
export const EVENT_PAYLOAD_KEY_MAX = 256;
export const EVENT_PAYLOAD_VALUE_MAX = 1024;
/**
 * Characters that each of the spec's fields that can grow (resumeParameters, validationRules,
 * eventPayload) may hold in all, keys included. With every other limit here, a whole request,
 * spec and status, stays under 750 KiB as the API server stores it (six bytes a character at
 * worst), well inside what etcd stores (1.5 MiB), whatever its spec holds and whatever status
 * the operator writes.
 */
export const FIELD_TEXT_TOTAL_MAX = 16_384;

/** CamelCase, as every status reason is. */
export const REASON_PATTERN = '^[A-Z][A-Za-z0-9]*$';
export const REASON_MAX = 64;
export const MESSAGE_MAX = 4096;
/** Each validation error, the resumed node's name and each condition's message. */
export const STATUS_ITEM_MAX = 1024;
/** One per failed rule, and a request has at most RULES_MAX_ITEMS rules. */
export const VALIDATION_ERRORS_MAX_ITEMS = 20;
/** Durations as the operator writes them: `250ms`, `2.1s`, `3m`. */
export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$';
export const DURATION_MAX = 32;
export const STATUS_LIST_MAX_ITEMS = 50;
export const ATTEMPTS_MAX = 1_000_000;
export const CONDITIONS_MAX_ITEMS = 16;
