// A long-lived Python peer speaking line-delimited JSON: one request line in, one reply line out.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export const PEER_PYTHON = process.env.CFINIT_PEER_PYTHON ?? '/usr/bin/python3';

export class PeerProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = '';
  private exited: string | null = null;

  constructor(script: string) {
    this.child = spawn(PEER_PYTHON, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child.on('exit', (code) => {
      this.exited = `peer ${script} exited with code ${code}${this.stderr ? `:\n${this.stderr}` : ''}`;
      for (const resolve of this.pending.splice(0)) resolve('');
    });
    this.child.on('error', (err) => {
      this.exited = `could not start ${PEER_PYTHON} ${script}: ${err.message}`;
      for (const resolve of this.pending.splice(0)) resolve('');
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.pending.shift()?.(line));
  }

  /** Sends one request and waits for its reply; a reply with ok=false becomes an Error. */
  async request<R extends object>(message: Record<string, unknown>): Promise<R> {
    if (this.exited) throw new Error(this.exited);
    const line = await new Promise<string>((resolve) => {
      this.pending.push(resolve);
      this.child.stdin.write(`${JSON.stringify(message)}\n`);
    });
    if (line === '') throw new Error(this.exited ?? 'peer closed its output');
    const reply = JSON.parse(line) as R & { ok: boolean; error?: string };
    if (!reply.ok) throw new Error(`peer ${String(message.cmd)}: ${reply.error ?? 'failed'}`);
    return reply;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.write(`${JSON.stringify({ cmd: 'quit' })}\n`);
    this.child.stdin.end();
    await done;
  }
}
