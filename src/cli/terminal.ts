import { createInterface } from 'node:readline/promises';
import { ReadStream } from 'node:tty';
import { AppError } from '#src/lib/errors.ts';
import { UsageError } from './common.ts';
import type { Invocation, OutputStream } from './invocation.ts';

/** A terminal to ask on: keys from `input`, questions on `output` (stderr: stdout is for results). */
export interface Terminal {
  readonly input: ReadStream;
  readonly output: OutputStream;
}

/** The invocation's terminal, or null when stdin is a pipe or a file (automation). */
export function terminalOf(invocation: Invocation): Terminal | null {
  const { stdin, stderr } = invocation;
  return stdin instanceof ReadStream && stdin.isTTY ? { input: stdin, output: stderr } : null;
}

/** Asks a question on the terminal. */
export async function ask(terminal: Terminal, question: string): Promise<string> {
  const prompt = createInterface({
    input: terminal.input,
    output: terminal.output,
    terminal: true,
  });
  try {
    return (await prompt.question(question)).trim();
  } finally {
    prompt.close();
  }
}

/** Asks for a secret without echoing it (raw mode: each key is read, nothing is printed). */
export function askHidden(terminal: Terminal, question: string): Promise<string> {
  const { input, output } = terminal;
  // Raw before the question: an answer sent on seeing it (expect, a password manager) is not
  // echoed by the terminal.
  input.setRawMode(true);
  output.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish();
          return;
        }
        if (char === '\u0003') {
          finish(new UsageError('cancelled'));
          return;
        }
        if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('');
        else value += char;
      }
    };
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
  });
}

/** The first line piped to stdin (a password for automation), without its line ending. */
export async function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string | null> {
  const lines = createInterface({ input: stdin, terminal: false });
  try {
    for await (const line of lines) return line;
    return null;
  } finally {
    lines.close();
  }
}

/**
 * Prints why a service refused (an AppError's message, and each field problem) to `stderr` and
 * returns exit code 1; anything else is a bug and is rethrown.
 */
export function reportRefusal(error: unknown, stderr: OutputStream): number {
  if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
  const details = Array.isArray(error.details)
    ? (error.details as { field?: string; message: string }[])
    : [];
  const lines =
    details.length > 0
      ? details.map((detail) => `  ${detail.field ?? 'error'}: ${detail.message}`)
      : [`  ${error.message}`];
  stderr.write(`hoplink: refused:\n${lines.join('\n')}\n`);
  return 1;
}
