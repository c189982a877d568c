import { createInterface } from 'node:readline/promises';
import { AppError } from '#src/lib/errors.ts';
import { UsageError } from './common.ts';

/** Asks a question on the terminal (stderr, so stdout stays for results). */
export async function ask(question: string): Promise<string> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await prompt.question(question)).trim();
  } finally {
    prompt.close();
  }
}

/** Asks for a secret without echoing it (raw mode: each key is read, nothing is printed). */
export function askHidden(question: string): Promise<string> {
  const { stdin } = process;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
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
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The first line piped to stdin (a password for automation), without its line ending. */
export async function readFirstLine(): Promise<string | null> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) return line;
    return null;
  } finally {
    lines.close();
  }
}

/**
 * Prints why a service refused (an AppError's message, and each field problem) to stderr and
 * returns exit code 1; anything else is a bug and is rethrown.
 */
export function reportRefusal(error: unknown): number {
  if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
  const details = Array.isArray(error.details)
    ? (error.details as { field?: string; message: string }[])
    : [];
  const lines =
    details.length > 0
      ? details.map((detail) => `  ${detail.field ?? 'error'}: ${detail.message}`)
      : [`  ${error.message}`];
  process.stderr.write(`hoplink: refused:\n${lines.join('\n')}\n`);
  return 1;
}
