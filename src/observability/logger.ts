// JSON logs on stdout. Reconciles log through child loggers that carry the request, task,
// delivery id and workflow, so every line of one request can be found with one filter.
import winston from 'winston';

export type Logger = winston.Logger;

export function createLogger(level: string): Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    defaultMeta: { component: 'workflow-resume-operator' },
    transports: [new winston.transports.Console()],
  });
}

/** A logger that drops everything, for code paths and tests that need one but not its output. */
export function silentLogger(): Logger {
  return winston.createLogger({
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
}
