import { CliError, ExitCode } from './errors.ts';

// The admin token is a bearer token: whoever reads it on the way may use it. Over plain http it
// crosses every network between the operator and the consumer in clear, so it goes over http
// only to this machine (loopback: the local stack, or a tunnel such as an SSH port forward,
// which encrypts on its own); anywhere else needs https.

/** Whether a URL's hostname is this machine: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1') return true;
  const octets = host.split('.');
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255)
  );
}

/** Refuses (exit code 2) to send a token over plain http to a host that is not loopback. */
export function assertTokenTransport(url: string, token: string | undefined): void {
  if (token === undefined) return;
  const { protocol, hostname } = new URL(url);
  if (protocol === 'http:' && !isLoopbackHost(hostname)) {
    throw new CliError(
      `refusing to send the operator token over plain http to ${hostname}: use an https:// URL ` +
        '(plain http only to localhost, e.g. through a tunnel)',
      ExitCode.usage,
    );
  }
}
