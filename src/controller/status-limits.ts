// Every status the operator writes fits the CRD's own limits, so the API server never refuses it
// with 422, and those limits keep request and status together within what etcd stores (see
// FIELD_TEXT_TOTAL_MAX in api/syntax.ts): a refused status would leave the request without a
// phase, retried forever and never cleaned up. What honest content can overflow (a message listing a hundred conflicting labels,
// more candidates than the list holds) is clipped here, lengths counted as the API server counts
// them, and the clipping says how much was left out.
import type { ResumeRequestStatus } from '../api/resume-request.js';
import * as syntax from '../api/syntax.js';
import { clipCodePoints, codePointLength } from '../api/text-length.js';

const ELLIPSIS = '…';

/** `text` within `max` code points, ending in an ellipsis when something was cut. */
export function clipText(text: string, max: number): string {
  if (codePointLength(text) <= max) return text;
  return clipCodePoints(text, max - 1) + ELLIPSIS;
}

/** At most `max` items, the last of them saying how many more there were. */
function clipList(items: string[], max: number, itemMax: number): string[] {
  const clipped = items.map((item) => clipText(item, itemMax));
  if (clipped.length <= max) return clipped;
  return [...clipped.slice(0, max - 1), `… and ${clipped.length - (max - 1)} more`];
}

export function fitStatus(status: ResumeRequestStatus): ResumeRequestStatus {
  const fitted: ResumeRequestStatus = { ...status };
  if (fitted.message !== undefined) fitted.message = clipText(fitted.message, syntax.MESSAGE_MAX);
  if (fitted.lastError !== undefined) fitted.lastError = clipText(fitted.lastError, syntax.MESSAGE_MAX);
  if (fitted.resumedNode !== undefined)
    fitted.resumedNode = clipText(fitted.resumedNode, syntax.STATUS_ITEM_MAX);
  if (fitted.validationErrors !== undefined)
    fitted.validationErrors = clipList(
      fitted.validationErrors,
      syntax.VALIDATION_ERRORS_MAX_ITEMS,
      syntax.STATUS_ITEM_MAX,
    );
  if (fitted.candidates !== undefined)
    fitted.candidates = clipList(fitted.candidates, syntax.STATUS_LIST_MAX_ITEMS, syntax.OBJECT_NAME_MAX);
  // The most recent delays matter most; attempts still counts them all.
  if (fitted.retryDelays !== undefined && fitted.retryDelays.length > syntax.STATUS_LIST_MAX_ITEMS)
    fitted.retryDelays = fitted.retryDelays.slice(-syntax.STATUS_LIST_MAX_ITEMS);
  if (fitted.conditions !== undefined)
    fitted.conditions = fitted.conditions
      .slice(-syntax.CONDITIONS_MAX_ITEMS)
      .map((condition) => ({ ...condition, message: clipText(condition.message, syntax.STATUS_ITEM_MAX) }));
  return fitted;
}
