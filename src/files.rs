//! Reading files the pod is given (a service-account token, a CA bundle) without trusting them:
//! bounded in size, and never a FIFO or a device that could block the run.

use std::fmt;
use std::io::Read as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadFailure {
    /// It does not exist.
    Missing,
    /// It exists but cannot be read.
    Unreadable {
        /// Why.
        reason: String,
        /// Its mode, as octal.
        mode: Option<u32>,
        /// Its owner uid:gid.
        owner: Option<String>,
    },
    /// It is larger than anything it could be.
    TooLarge(u64),
    /// Another I/O failure.
    Io(String),
}

/// Reads a regular file of at most `max` bytes. A FIFO or a device is refused before it is
/// opened (it could block the read for ever, or never end), and so is anything larger.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, ReadFailure> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadFailure::Missing),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            let reason = "permission denied on the path to it".to_owned();
            return Err(ReadFailure::Unreadable { reason, mode: None, owner: None });
        }
        Err(e) => return Err(ReadFailure::Io(e.to_string())),
    };
    let mode = Some(meta.mode() & 0o7777);
    let owner = Some(format!("{}:{}", meta.uid(), meta.gid()));
    if meta.is_dir() {
        return Err(ReadFailure::Unreadable { reason: "it is a directory".to_owned(), mode, owner });
    }
    if !meta.is_file() {
        // A FIFO or a device could block the read for ever.
        return Err(ReadFailure::Unreadable { reason: "it is not a regular file".to_owned(), mode, owner });
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(ReadFailure::Unreadable { reason: "permission denied".to_owned(), mode, owner });
        }
        Err(e) => return Err(ReadFailure::Io(e.to_string())),
    };
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(|e| ReadFailure::Unreadable {
        reason: e.to_string(),
        mode,
        owner: owner.clone(),
    })?;
    if bytes.len() as u64 > max {
        return Err(ReadFailure::TooLarge(meta.len()));
    }
    Ok(bytes)
}

impl fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadFailure::Missing => f.write_str("it does not exist"),
            ReadFailure::Unreadable { reason, .. } => f.write_str(reason),
            ReadFailure::TooLarge(size) => write!(f, "it is too large ({size} bytes)"),
            ReadFailure::Io(e) => f.write_str(e),
        }
    }
}
