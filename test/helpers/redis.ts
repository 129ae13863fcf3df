import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/**
 * A real redis-server for tests, on a free loopback port, no persistence. Tests that need it call
 * `redisOrSkip()`: without redis-server they are skipped with a message, except under CI=true, where
 * a missing redis-server fails the run (CI installs it: .ci/run).
 */
export const haveRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export function redisOrSkip(): boolean {
  if (haveRedisServer) return true;
  if (process.env.CI) throw new Error('redis-server is not installed, and CI is set: the Redis-backed tests must run (apt-get install -y redis-server).');
  process.stderr.write('SKIPPED: Redis-backed tests — redis-server is not installed (apt-get install -y redis-server to run them).\n');
  return false;
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

export interface TestRedis {
  port: number;
  url: string;
  /** Stops the server (SIGKILL: like a crash); resolves once the port is closed. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty). */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that accepts connections and then does not answer. */
  pause(): void;
  resume(): void;
}

export async function startRedis(port?: number): Promise<TestRedis> {
  const p = port ?? (await freePort());
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await ping(p))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on port ${p}`);
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return { port: p, url: `redis://127.0.0.1:${p}`, stop, start, pause: () => child?.kill('SIGSTOP'), resume: () => child?.kill('SIGCONT') };
}
