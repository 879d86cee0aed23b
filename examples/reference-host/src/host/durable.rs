//! Durability of SQLite commits, made apart from the commit itself.
//!
//! The writer runs WAL with `synchronous = NORMAL`: a commit writes its frames to the WAL file
//! without waiting for the disk, so the next batch can start at once. Before any operation of a
//! committed batch is answered, [`WalSync::durable`] waits for an `fdatasync` of the WAL file that
//! began after that commit. One sync covers every batch committed before it began (group commit of
//! the syncs themselves), and it runs on its own thread while the next batch works.
//!
//! Why this keeps every answered operation on disk: a committed batch's frames are in the WAL file
//! when the commit returns. Either they are still there when the sync runs (it makes them
//! durable), or a checkpoint moved them into the database file first, and in NORMAL mode SQLite
//! syncs the WAL before and the database file after each checkpoint. If SQLite deleted and made
//! the WAL file anew (when its last connection closed), the old file's frames were checkpointed
//! the same way; the syncer notices the new file by its inode and syncs that one too.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use tokio::sync::watch;

/// The result of the last sync: how many requests it covers, or why it failed.
type Synced = (u64, Option<String>);

/// Syncs one database's WAL file on a thread of its own.
pub struct WalSync {
    /// Requests taken so far (a request's ticket is the count after it).
    requested: Mutex<u64>,
    wake: Condvar,
    synced: watch::Sender<Synced>,
}

impl WalSync {
    /// Starts the syncer of the database file at `db` (its WAL is `db` + `-wal`).
    pub fn start(db: PathBuf) -> Arc<WalSync> {
        let (synced, _) = watch::channel((0, None));
        let sync = Arc::new(WalSync {
            requested: Mutex::new(0),
            wake: Condvar::new(),
            synced,
        });
        let mut wal = db.into_os_string();
        wal.push("-wal");
        let worker = Arc::clone(&sync);
        std::thread::Builder::new()
            .name("waas-wal-sync".to_owned())
            .spawn(move || worker.run(PathBuf::from(wal)))
            .map_err(|e| tracing::error!(error = %e, "cannot start the WAL syncer"))
            .ok();
        sync
    }

    /// Waits until everything committed before this call is on disk.
    pub async fn durable(&self) -> Result<(), String> {
        let ticket = {
            let mut n = self
                .requested
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *n += 1;
            *n
        };
        self.wake.notify_one();
        let mut rx = self.synced.subscribe();
        let (covered, error) = rx
            .wait_for(|(covered, _)| *covered >= ticket)
            .await
            .map_err(|_| "the WAL syncer stopped".to_owned())?
            .clone();
        match error {
            Some(e) if covered >= ticket => Err(format!("cannot sync the WAL: {e}")),
            _ => Ok(()),
        }
    }

    /// The syncer's loop: waits for requests, syncs, reports what the sync covered.
    fn run(&self, wal: PathBuf) {
        let mut file: Option<File> = None;
        let mut done = 0u64;
        loop {
            let target = {
                let mut n = self
                    .requested
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                while *n == done {
                    n = self.wake.wait(n).unwrap_or_else(PoisonError::into_inner);
                }
                *n
            };
            let error = sync_wal(&wal, &mut file).err().map(|e| e.to_string());
            if let Some(e) = &error {
                tracing::error!(error = %e, wal = %wal.display(), "cannot sync the WAL file");
            }
            done = target;
            self.synced.send_replace((target, error));
        }
    }
}

/// Syncs the WAL file, opening it again if SQLite made a new one since it was opened.
fn sync_wal(wal: &std::path::Path, file: &mut Option<File>) -> std::io::Result<()> {
    for _ in 0..3 {
        let f = match file {
            Some(f) => f,
            None => file.insert(File::open(wal)?),
        };
        f.sync_data()?;
        if same_file(f, wal)? {
            return Ok(());
        }
        *file = None;
    }
    Err(std::io::Error::other("the WAL file keeps being replaced"))
}

/// Whether the open file is the one at `path` now.
#[cfg(unix)]
fn same_file(f: &File, path: &std::path::Path) -> std::io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let open = f.metadata()?;
    match std::fs::metadata(path) {
        Ok(now) => Ok(open.ino() == now.ino() && open.dev() == now.dev()),
        // No WAL file now: SQLite checkpointed it into the database and removed it.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Whether the open file is the one at `path` now (elsewhere the path is trusted).
#[cfg(not(unix))]
fn same_file(_f: &File, _path: &std::path::Path) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::WalSync;

    #[tokio::test]
    async fn a_request_is_answered_after_a_sync_of_the_wal() {
        let dir = std::env::temp_dir().join(format!("waas-walsync-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("x.db");
        std::fs::write(dir.join("x.db-wal"), b"frames").unwrap();
        let sync = WalSync::start(db.clone());
        sync.durable().await.unwrap();
        sync.durable().await.unwrap();
        // A WAL made anew is found again.
        std::fs::remove_file(dir.join("x.db-wal")).unwrap();
        std::fs::write(dir.join("x.db-wal"), b"new frames").unwrap();
        sync.durable().await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_missing_wal_is_an_error_not_a_silent_success() {
        let dir = std::env::temp_dir().join(format!("waas-walsync-none-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sync = WalSync::start(dir.join("none.db"));
        assert!(sync.durable().await.is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
