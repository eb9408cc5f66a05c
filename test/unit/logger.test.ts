import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.js';

describe('the logger', () => {
  it('writes lines at or above its level, from children too, and nothing below it', () => {
    const written: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', stream);
    const child = logger.child({ request: 'ns/r' });
    child.debug('decided', { action: 'resume' });
    logger.debug('dropped');
    child.info('finished', { phase: 'Succeeded' });
    logger.warn('slow');
    expect(written.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 'info', message: 'finished', request: 'ns/r', phase: 'Succeeded' }),
      expect.objectContaining({ level: 'warn', message: 'slow', component: 'workflow-resume-operator' }),
    ]);
    logger.level = 'debug';
    child.debug('decided');
    expect(written).toHaveLength(3);
  });
});
