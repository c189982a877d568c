import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Delivery {
  readonly to: string;
  readonly body: string;
}

/**
 * A local SMTP server (the network edge) whose behaviour depends on the recipient: `flaky-…`
 * is refused twice then accepted, `broken-…` always refused, `slow-…` takes its time.
 */
/** Starts `server` on a free loopback port, and stops it: for any SMTP stand-in of a test. */
export function listening(server: SMTPServer) {
  return {
    async listen(): Promise<number> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.server.address() as AddressInfo).port;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

export function startSmtpServer() {
  const delivered: Delivery[] = [];
  const attempts = new Map<string, number>();
  const started: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // Any credentials are accepted: the tests check that they are sent, never that they are logged.
    allowInsecureAuth: true,
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'test' });
    },
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const to = address.address;
      const count = (attempts.get(to) ?? 0) + 1;
      attempts.set(to, count);
      started.push(to);
      if (to.startsWith('broken-') || (to.startsWith('flaky-') && count <= 2)) {
        const error = Object.assign(new Error('mailbox busy, try again later'), {
          responseCode: 451,
        });
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (body += chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo[0]?.address ?? '';
        const finish = () => {
          // Undo quoted-printable soft line breaks so a test can read the link whole.
          delivered.push({ to, body: body.replace(/=\r\n/g, '') });
          callback();
        };
        if (to.startsWith('slow-')) setTimeout(finish, 1_500);
        else finish();
      });
    },
  });
  return {
    delivered,
    attempts,
    started,
    ...listening(server),
  };
}
