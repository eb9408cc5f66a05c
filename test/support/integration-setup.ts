// Integration tests wait on real processes; every wait in them has its own deadline, so the
// per-test limit only needs to bound a whole scenario.
import { afterAll, jest } from '@jest/globals';
import { stopAllOperators } from './operator.js';

jest.setTimeout(180_000);

afterAll(async () => {
  await stopAllOperators();
});
