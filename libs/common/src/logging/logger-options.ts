import pino, { type LoggerOptions } from 'pino';
import { compileLogCensor } from './log-censor';
import { REDACT_PATHS, REDACTED, scrubText } from './redaction';

/** The pino-pretty module's path when it is installed, so a terminal gets readable lines. */
function prettyTarget(): string | undefined {
  try {
    return require.resolve('pino-pretty');
  } catch {
    // Without it (a trimmed install) lines stay JSON rather than failing the boot.
    return undefined;
  }
}

/**
 * Every path a line is censored at: secrets and bodies, and the keys the app declares sensitive (the
 * ePHI field catalog's names) at any of the first three levels of a logged object, whatever their value.
 */
export function logRedactPaths(sensitiveKeys: readonly string[] = []): string[] {
  return [...REDACT_PATHS, ...sensitiveKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`])];
}

/** pino options shared by every process: secret paths censored and every line scrubbed last. */
export function createLoggerOptions(
  log: { level: string; pretty: boolean; file?: string },
  sensitiveKeys: readonly string[] = [],
): LoggerOptions {
  // The paths pino's `redact` would take, applied to the finished line instead (see log-censor.ts):
  // after serializers and child bindings alike, and only to a line that holds one of the keys named.
  const censor = compileLogCensor(logRedactPaths(sensitiveKeys), REDACTED);
  const pretty = log.pretty && !log.file ? prettyTarget() : undefined;
  return {
    level: log.level,
    hooks: {
      // The final net: whatever a caller put into a line, identifier-shaped text leaves scrubbed.
      // It runs on the finished JSON line before any transport, so pretty output is scrubbed too.
      streamWrite: (line: string) => scrubText(censor.line(line)),
    },
    ...(pretty && { transport: { target: pretty, options: { singleLine: true } } }),
  };
}

/** Linux's atomic pipe write size. */
const PIPE_BUF = 4096;

export type LogDestination = ReturnType<typeof pino.destination>;

/**
 * Where JSON lines go: stdout or LOG_FILE, written asynchronously so a request never waits on a
 * write(2); lines logged while a write is under way leave together in the next one. Undefined when
 * pino-pretty prints (its own worker). Flush it at shutdown (`flushLogDestination`); pino also
 * flushes it synchronously when the process exits.
 */
export function createLogDestination(log: { pretty: boolean; file?: string }): LogDestination | undefined {
  if (log.pretty && !log.file && prettyTarget()) return undefined;
  return pino.destination({
    dest: log.file ?? 1,
    mkdir: Boolean(log.file),
    append: true,
    sync: false,
    // 1 writes a line at once (a line is longer) and lets flush() wait for the write under way.
    minLength: 1,
    // Whole lines, at most PIPE_BUF per write(2): a pipe shared by API processes never interleaves them.
    maxWrite: PIPE_BUF,
  });
}

/** Resolves once every line handed to the destination is written (or after `timeoutMs`, never hanging a shutdown). */
export function flushLogDestination(destination: LogDestination, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      // The callback's error is fsync's on a pipe or terminal (EINVAL): the bytes are written all the same.
      destination.flush(done);
    } catch {
      done(); // destroyed, or a file not opened yet: nothing of ours is buffered
    }
  });
}
