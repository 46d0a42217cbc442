import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, statSync } from "node:fs";
import { open } from "node:fs/promises";

/** True while pid names a live (not zombie) process whose command line contains `marker`. */
export const isAlive = (pid: number, marker?: string): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    if (marker === undefined) return true;
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker);
  } catch {
    return false;
  }
};

/** True when the process is stopped by SIGSTOP. */
export const isStopped = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "T";
  } catch {
    return false;
  }
};

/** Starts a process in its own process group with stdout and stderr appended to logFile. */
export const spawnDetached = (command: string, args: readonly string[], logFile: string, cwd: string): number => {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn(command, args, { cwd, detached: true, stdio: ["ignore", fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
};

export const signal = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
};

/** The last `lines` lines of a file, or a note when it does not exist. */
export const tail = async (file: string, lines = 40): Promise<string> => {
  if (!existsSync(file)) return `(no log at ${file})`;
  const size = statSync(file).size;
  const start = Math.max(0, size - 64 * 1024);
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString("utf8").split("\n").slice(-lines - 1).join("\n");
  } finally {
    await handle.close();
  }
};

/** Whether the file contains `needle` at or after byte `from`. */
export const fileContains = async (file: string, needle: string, from = 0): Promise<boolean> => {
  if (!existsSync(file)) return false;
  const size = statSync(file).size;
  if (size <= from) return false;
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(size - from);
    await handle.read(buffer, 0, buffer.length, from);
    return buffer.includes(needle);
  } finally {
    await handle.close();
  }
};

export const fileSize = (file: string): number => (existsSync(file) ? statSync(file).size : 0);
