// Staging files and folders are named after the process that writes them, so a later run can tell the
// leftovers of a killed process (a SIGKILL runs no cleanup) from the work of one still running. Pure: node only.

/** Whether a process with this id exists (EPERM: it does, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
