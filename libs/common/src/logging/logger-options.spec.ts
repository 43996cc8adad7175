import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type TransportSingleOptions } from 'pino';
import { createLoggerOptions } from './logger-options';

// Synthetic canaries, shaped like identifiers and belonging to nobody.
const CANARY = { ssn: '900-12-3456', email: 'canary.member+77@example.test' };

async function fileText(path: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      if (text.includes('\n')) return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the transport wrote nothing');
}

describe('createLoggerOptions', () => {
  it('pretty-prints through pino-pretty when asked and no log file is set', () => {
    const sut = createLoggerOptions({ level: 'info', pretty: true });
    expect((sut.transport as TransportSingleOptions).target).toMatch(/pino-pretty/);
  });

  it('writes JSON to a log file even when pretty is asked for', () => {
    const sut = createLoggerOptions({ level: 'info', pretty: true, file: '/tmp/x.log' });
    expect((sut.transport as TransportSingleOptions).target).toBe('pino/file');
  });

  it('writes JSON to stdout when not pretty', () => {
    expect(createLoggerOptions({ level: 'info', pretty: false }).transport).toBeUndefined();
  });

  it('scrubs a line before the pretty transport prints it', async () => {
    const options = createLoggerOptions({ level: 'info', pretty: true });
    const transport = options.transport as TransportSingleOptions;
    const destination = join(mkdtempSync(join(tmpdir(), 'msync-pretty-')), 'out.log');
    // The real transport and hook, printing to a file instead of the terminal.
    const logger = pino({
      ...options,
      transport: { ...transport, options: { ...transport.options, destination, colorize: false } },
    });
    logger.info(`lookup for ${CANARY.email} with ssn ${CANARY.ssn}`);
    const text = await fileText(destination);
    expect(text).toContain('[REDACTED:email]');
    expect(text).toContain('[REDACTED:ssn]');
    expect(text).not.toContain(CANARY.ssn);
    expect(text).not.toContain(CANARY.email);
    // Human-readable, not a JSON line.
    expect(text.trim().startsWith('{')).toBe(false);
  });
});
