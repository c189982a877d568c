/** A stream a command writes to: the process's own, or a test's collector. */
export type OutputStream = NodeJS.WritableStream & { readonly isTTY?: boolean };

/**
 * What a command is run with from outside: environment, working directory and standard streams.
 * main.ts builds it from `process` once; a test builds its own and runs the command in its own
 * process (decision 0025). A command reads and writes through it, never through `process`.
 */
export interface Invocation {
  /** Where settings come from, with the `.env` file (this wins over the file). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where `./.env`, `--dotenv FILE`, `NAME_FILE` paths and `build --out DIR` resolve from. */
  readonly cwd: string;
  /** A terminal to prompt on, or a pipe (a password as its first line). */
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /** Results: what a script captures (`TOKEN=$(hoplink token create …)`). */
  readonly stdout: OutputStream;
  /** Problems, prompts and the log lines of commands whose stdout is a result. */
  readonly stderr: OutputStream;
}
