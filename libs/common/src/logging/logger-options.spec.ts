import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type TransportSingleOptions } from 'pino';
import { createLogDestination, createLoggerOptions, flushLogDestination } from './logger-options';

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

  it('writes scrubbed JSON lines to a log file even when pretty is asked for', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'msync-file-')), 'logs', 'api.log');
    const log = { level: 'info', pretty: true, file };
    const sut = createLogDestination(log)!;
    const logger = pino(createLoggerOptions(log), sut);
    logger.info(`lookup for ${CANARY.email}`);
    const text = await fileText(file);
    expect(JSON.parse(text)).toMatchObject({ msg: 'lookup for [REDACTED:email]' });
  });

  it('writes JSON to stdout, asynchronously, when not pretty', () => {
    const log = { level: 'info', pretty: false };
    expect(createLoggerOptions(log).transport).toBeUndefined();
    expect(createLogDestination(log)).toMatchObject({ fd: 1, sync: false });
  });

  it('has every line in the file once flushed at shutdown', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'msync-flush-')), 'api.log');
    const log = { level: 'info', pretty: false, file };
    const sut = createLogDestination(log)!;
    const logger = pino(createLoggerOptions(log), sut);
    await once(sut, 'ready');
    for (let i = 0; i < 2000; i += 1) logger.info({ i }, 'line');
    await flushLogDestination(sut);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2000);
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
