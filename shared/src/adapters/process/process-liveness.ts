import { readFileSync } from 'node:fs';

/** Whether a process is alive: it exists (ours or someone else's) and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return errorCode(error) === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A worker whose dispatcher died is re-parented to PID 1, which in a container is often not an init
 * that reaps: once it exits it stays a zombie, which signal 0 still finds. Linux says so in /proc.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false; // no /proc (macOS) or it just went: signal 0 has answered already
  }
}

export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
