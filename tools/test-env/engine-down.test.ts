/**
 * engine_down stops what the engine started, by pid, and nothing else (issue 12 item 23). A
 * stand-in engine runs in a fresh cache folder, launched as engine_up launches one (setsid, its
 * pid in engine.pid, its start in engine.start): a child in its session, a child in a session
 * of its own (as dockerd starts containerd), an orphan re-parented to init that only a pid file
 * names (as a shim whose containerd died), and beside them a `tail -f` of the engine's log and a
 * process whose pid sits in a stale pid file and that does not name the engine's folder. No real
 * engine is touched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const lib = resolve(import.meta.dirname, '..', 'lib');
const cache = mkdtempSync(join(tmpdir(), 'imgext-engine-down-test-'));
const started: number[] = [];

afterAll(() => {
  for (const pid of started) if (running(pid)) process.kill(pid, 'SIGKILL');
  rmSync(cache, { recursive: true, force: true });
});

/** Runs bash with tools/lib sourced, the cache folder being this test's own. */
function bash(script: string): string {
  const r = spawnSync(
    'bash',
    ['--norc', '-c', `source ${lib}/common.sh; source ${lib}/engine.sh; ${script}`],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cache, IMGEXT_CACHE: cache },
      encoding: 'utf8',
      timeout: 90_000,
    },
  );
  if (r.status !== 0) throw new Error(`bash failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Alive and not a zombie (this machine's pid 1 may never reap an orphan). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('engine_down', () => {
  it('stops the processes the engine started and leaves the others', () => {
    const dir = join(cache, 'engines', 'docker-26.1');
    // Every process's stdio goes to /dev/null: the launching bash returns at once.
    const out = bash(`
      dir=$(engine_dir docker-26.1)
      mkdir -p "$dir/exec/containerd" "$dir/run/shim"
      : >"$dir/engine.log"
      setsid bash -c '
        sleep 1001 & echo $! >"$1/session-child"
        setsid sleep 1002 & echo $! >"$1/exec/containerd/containerd.pid"
        bash -c "setsid bash -c \\"exec -a \\\\\\"shim -address $1/exec/x.sock\\\\\\" sleep 1003\\" & echo \\$! >$1/run/shim/shim.pid"
        exec sleep 1000
      ' engine "$dir" </dev/null >/dev/null 2>&1 &
      echo $! >"$dir/engine.pid"
      proc_start "$(pid_from "$dir/engine.pid")" >"$dir/engine.start"
      tail -f "$dir/engine.log" </dev/null >/dev/null 2>&1 &
      echo "tail $!"
      sleep 1004 </dev/null >/dev/null 2>&1 &
      echo $! >"$dir/run/stale.pid"
      echo "stale $!"
      for i in $(seq 50); do [ -s "$dir/run/shim/shim.pid" ] && [ -s "$dir/session-child" ] && break; sleep 0.1; done
      echo "engine $(cat "$dir/engine.pid")"
      echo "session-child $(cat "$dir/session-child")"
      echo "own-session $(cat "$dir/exec/containerd/containerd.pid")"
      echo "orphan $(cat "$dir/run/shim/shim.pid")"
    `);
    const pids = Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([role, pid]) => [role, Number(pid)]),
    ) as Record<string, number>;
    started.push(...Object.values(pids));
    expect(Object.keys(pids).sort()).toEqual(
      ['engine', 'orphan', 'own-session', 'session-child', 'stale', 'tail'].sort(),
    );
    for (const pid of Object.values(pids)) expect(running(pid), String(pid)).toBe(true);

    bash('engine_down docker-26.1');

    expect(running(pids.engine!)).toBe(false);
    expect(running(pids['session-child']!)).toBe(false);
    expect(running(pids['own-session']!)).toBe(false);
    expect(running(pids.orphan!)).toBe(false);
    expect(running(pids.tail!), 'a tail -f of the engine log').toBe(true);
    expect(running(pids.stale!), 'a pid in a stale pid file').toBe(true);
    expect(existsSync(join(dir, 'engine.pid'))).toBe(false);
  });
});
