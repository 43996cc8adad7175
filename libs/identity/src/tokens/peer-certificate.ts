import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

/**
 * base64url SHA-256 of the client certificate (RFC 8705 `x5t#S256`), only when the certificate
 * was presented in this TLS session and chains to the configured client CA; otherwise null.
 */
export function peerCertificateThumbprint(request: FastifyRequest): string | null {
  const socket = request.raw.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return null;
  const certificate = socket.getPeerCertificate();
  if (!certificate?.raw) return null;
  return createHash('sha256').update(certificate.raw).digest('base64url');
}
