//! Opening and reading the files kinspect is given (certificates, keys,
//! kubeconfigs, key logs, node configuration, captures): regular files
//! only, and whole-file reads bounded while reading.
//!
//! Why: a FIFO given as a certificate blocks `open` and `read` forever, and
//! `/dev/zero` or another character device reports size 0 in its metadata
//! and then never ends. So a file is opened with `O_NONBLOCK` (opening a
//! FIFO with no writer then returns at once), its type is checked on the
//! open descriptor (no window between the check and the read), and reads
//! stop one byte past the limit whatever the metadata says.

use std::fs::{File, FileType};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{}: {}", path.display(), crate::pki::load::io_message(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {kind}, not a regular file", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{}: larger than the {limit}-byte limit for {what}", path.display())]
    TooLarge {
        path: PathBuf,
        limit: u64,
        what: &'static str,
    },
}

impl FileError {
    /// The error without the file name (for messages that name it already).
    pub fn reason(&self) -> String {
        match self {
            FileError::Io { source, .. } => crate::pki::load::io_message(source),
            FileError::NotRegular { kind, .. } => format!("{kind}, not a regular file"),
            FileError::TooLarge { limit, what, .. } => {
                format!("larger than the {limit}-byte limit for {what}")
            }
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            FileError::Io { path, .. }
            | FileError::NotRegular { path, .. }
            | FileError::TooLarge { path, .. } => path,
        }
    }
}

/// What a non-regular file is, in words.
pub fn kind_of(t: &FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading if it is a regular file (symlinks followed).
/// Never blocks on a FIFO.
pub fn open_regular(path: &Path) -> Result<File, FileError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    // A clear word for special files before opening them at all (opening
    // a socket fails with ENXIO, a tape device may rewind).
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.file_type().is_file() {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&meta.file_type()),
        });
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io)?;
    // The same check on what was opened: the path may have changed since.
    let meta = file.metadata().map_err(io)?;
    if !meta.file_type().is_file() {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&meta.file_type()),
        });
    }
    Ok(file)
}

/// Largest key, certificate or key log file read whole (16 MiB).
pub const MAX_SMALL_FILE: u64 = 16 << 20;

/// Reads a whole regular file of at most `limit` bytes; `what` names the
/// kind of file in the error ("a certificate file").
pub fn read_regular_file(
    path: &Path,
    limit: u64,
    what: &'static str,
) -> Result<Vec<u8>, FileError> {
    let file = open_regular(path)?;
    let hint = file.metadata().map(|m| m.len().min(limit)).unwrap_or(0);
    let mut buf = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|source| FileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
            what,
        });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused_by_kind() {
        match read_regular_file(Path::new("/dev/zero"), 1024, "a test file") {
            Err(FileError::NotRegular { kind, .. }) => assert_eq!(kind, "a character device"),
            other => panic!("{other:?}"),
        }
        match read_regular_file(Path::new("/"), 1024, "a test file") {
            Err(FileError::NotRegular { kind, .. }) => assert_eq!(kind, "a directory"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_limit_is_checked_on_the_bytes_read() {
        let dir = std::env::temp_dir().join(format!("kinspect-fsutil-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("f");
        std::fs::write(&p, vec![b'x'; 100]).unwrap();
        assert_eq!(read_regular_file(&p, 100, "t").unwrap().len(), 100);
        match read_regular_file(&p, 99, "t") {
            Err(FileError::TooLarge { limit: 99, .. }) => {}
            other => panic!("{other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
