import type { ServerOptions } from 'node:https';
import type { TlsMaterial } from '#src/settings/index.ts';

/**
 * Mozilla's "intermediate" profile (guidelines 6.0): on TLS 1.2 only ECDHE key exchange with an
 * AEAD cipher, so every connection has forward secrecy and no CBC padding oracle is reachable.
 * DHE is left out (it would need our own dhparams and adds nothing for clients from this decade).
 * The TLS 1.3 suites are OpenSSL's defaults, named because Node turns TLS 1.3 off when `ciphers`
 * lists none. Decision 0015.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/**
 * A client that opens a connection and never finishes the handshake holds a socket, and memory,
 * until this passes (Node's default is 120 s). A real handshake takes a few round trips, well
 * under a second even on a poor mobile link; 10 s leaves ample room. Not a setting: no operator
 * has a reason to tune it, and the HTTP timeouts (SERVER_REQUEST_TIMEOUT) apply once it is done.
 */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The options of the HTTPS server `serve` runs when a TLS pair is configured. */
export function tlsServerOptions(tls: TlsMaterial): ServerOptions {
  return {
    cert: tls.cert,
    key: tls.key.reveal(),
    // Explicit, so `--tls-min-v1.0` in NODE_OPTIONS cannot lower it.
    minVersion: 'TLSv1.2',
    ciphers: TLS_CIPHERS,
    // Every suite left is strong, and the client knows best whether it has AES hardware (else
    // it prefers ChaCha20): Mozilla recommends letting it choose. Node's default is the reverse.
    honorCipherOrder: false,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
  };
}
