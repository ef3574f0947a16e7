import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { portOpen, waitUntil } from './wait.js';

describe('waiting', () => {
  it('waitUntil resolves once the check holds, and times out naming what it waited for', async () => {
    let n = 0;
    await waitUntil(() => ++n >= 3, { intervalMs: 1 });
    expect(n).toBe(3);
    await expect(waitUntil(() => false, { timeoutMs: 20, what: 'Godot' })).rejects.toThrow(
      /waiting for Godot/,
    );
  });

  it('portOpen: true while a server listens on 127.0.0.1, false after it closed', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    expect(await portOpen(port)).toBe(true);
    await new Promise((resolve) => server.close(resolve));
    expect(await portOpen(port)).toBe(false);
  });
});
