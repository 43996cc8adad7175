import type { LoggerOptions } from 'pino';
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

/** pino options shared by every process: secret paths censored and every line scrubbed last. */
export function createLoggerOptions(
  log: { level: string; pretty: boolean; file?: string },
  sensitiveKeys: readonly string[] = [],
): LoggerOptions {
  // Keys the app declares sensitive (the ePHI field catalog's names) are censored at any of the
  // first three levels of a logged object, whatever their value looks like.
  const keyPaths = sensitiveKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  const pretty = log.pretty && !log.file ? prettyTarget() : undefined;
  return {
    level: log.level,
    redact: { paths: [...REDACT_PATHS, ...keyPaths], censor: REDACTED },
    hooks: {
      // The final net: whatever a caller put into a line, identifier-shaped text leaves scrubbed.
      // It runs on the finished JSON line before any transport, so pretty output is scrubbed too.
      streamWrite: (line: string) => scrubText(line),
    },
    ...(log.file
      ? { transport: { target: 'pino/file', options: { destination: log.file, mkdir: true } } }
      : pretty
        ? { transport: { target: pretty, options: { singleLine: true } } }
        : {}),
  };
}
