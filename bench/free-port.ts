import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A free loopback port for a Sluice started as a child process, from below the kernel's ephemeral
 * range: a port that listen(0) handed out and gave back is the one the child's own listen(0) (the
 * demo market's) tends to get next, and the API then cannot bind it.
 */
export async function freePort(): Promise<number> {
  const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const low = Math.min(20_000, ephemeralLow - 2_000);
  for (let tries = 0; tries < 50; tries++) {
    const port = low + Math.floor(Math.random() * (ephemeralLow - low));
    if (await listens(port)) return port;
  }
  throw new Error('no free port below the ephemeral range');
}

function listens(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer()
      .once('error', () => done(false))
      .listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}
