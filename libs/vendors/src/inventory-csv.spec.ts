import { csvField, toCsv } from './inventory-csv';

describe('inventory CSV', () => {
  it.each([
    ['plain text', 'Acme Cloud', 'Acme Cloud'],
    ['a comma', 'Acme, Inc.', '"Acme, Inc."'],
    ['a double quote', 'The "Best" Logs', '"The ""Best"" Logs"'],
    ['a line feed', 'line one\nline two', '"line one\nline two"'],
    ['a carriage return', 'a\rb', '"a\rb"'],
    ['a formula (=)', '=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ['a formula (+)', '+1 555 0100', "'+1 555 0100"],
    ['a formula (-)', '-2+3', "'-2+3"],
    ['a formula (@)', '@SUM(A1)', "'@SUM(A1)"],
    ['a leading tab', '\tcmd', "'\tcmd"],
    ['a minus inside text', 'error-tracking', 'error-tracking'],
    ['an empty string', '', ''],
    ['null', null, ''],
    ['a number', 3, '3'],
    ['a boolean', true, 'true'],
  ] as const)('%s', (_name, value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('joins a header and rows with CRLF line ends', () => {
    expect(
      toCsv(
        ['id', 'name'],
        [
          ['vnd_1', 'A, B'],
          ['vnd_2', null],
        ],
      ),
    ).toBe('id,name\r\nvnd_1,"A, B"\r\nvnd_2,\r\n');
  });
});
