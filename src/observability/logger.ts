// JSON logs on stdout. Reconciles log through child loggers that carry the request, task,
// delivery id and workflow, so every line of one request can be found with one filter.
import winston from 'winston';

export type Logger = winston.Logger;

/** `stream`, for tests: where the lines go instead of stdout. */
export function createLogger(level: string, stream?: NodeJS.WritableStream): Logger {
  const logger = winston.createLogger({
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    defaultMeta: { component: 'workflow-resume-operator' },
    transports: [stream ? new winston.transports.Stream({ stream }) : new winston.transports.Console()],
  });
  // winston runs every line through its streams and formats it (timestamp, JSON) before the
  // transport drops one below the level: a debug line per reconcile cost as much as a written
  // one. Lines below the level stop here; child loggers write through this logger, so theirs too.
  const write = logger.write.bind(logger);
  logger.write = ((info: winston.LogEntry) =>
    logger.isLevelEnabled(info.level) ? write(info) : true) as typeof logger.write;
  return logger;
}

/** A logger that drops everything, for code paths and tests that need one but not its output. */
export function silentLogger(): Logger {
  return winston.createLogger({
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
}
