// Runs in a worker thread: moves the WAL into the database file off the event loop.
// SQLite's automatic checkpoint runs inside whichever COMMIT crosses the threshold, and with
// node:sqlite that stalls every request for the length of a page copy and an fsync.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new DatabaseSync(file);
db.exec('PRAGMA busy_timeout = 1000');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

const timer = setInterval(() => {
  try {
    checkpoint.all();
  } catch {
    // Busy now: the next tick tries again; the main connection's fallback threshold still holds.
  }
}, intervalMs);

parentPort?.on('message', (message) => {
  if (message === 'stop') {
    clearInterval(timer);
    try {
      checkpoint.all();
    } finally {
      db.close();
      parentPort?.postMessage('stopped');
    }
  }
});
