// Event names follow client-go's `<object>.<unique suffix>`, but the object's name may already
// use most of the 253 characters a name may have: then a prefix of it and a hash of the whole
// name stand in for it, so the Event is never refused and still sorts beside its object.
import { createHash, randomBytes } from 'node:crypto';

const NAME_MAX = 253;
const SUFFIX_LENGTH = 16;

export function eventName(objectName: string): string {
  const suffix = randomBytes(SUFFIX_LENGTH / 2).toString('hex');
  if (objectName.length + 1 + SUFFIX_LENGTH <= NAME_MAX) return `${objectName}.${suffix}`;
  const hash = createHash('sha256').update(objectName).digest('hex').slice(0, SUFFIX_LENGTH);
  // Each dot-separated part of a name must end in a letter or digit.
  const prefix = objectName.slice(0, NAME_MAX - 2 * (SUFFIX_LENGTH + 1)).replace(/[-.]+$/, '');
  return `${prefix}.${hash}.${suffix}`;
}
