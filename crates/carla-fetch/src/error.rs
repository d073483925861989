use std::path::PathBuf;

/// Everything that can go wrong while resolving, downloading, verifying or installing Carla.
///
/// Each variant carries what a user needs to act on it without rerunning with more logging:
/// the path or URL involved and, for integrity failures, both hashes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A filesystem operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "create directory".
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP request failed before a complete response arrived (DNS, connect, TLS, protocol).
    #[error("cannot download {url}: {source}")]
    Http {
        /// The URL requested.
        url: String,
        /// Why.
        source: Box<ureq::Error>,
    },
    /// The server answered with a status other than success.
    #[error("cannot download {url}: the server answered HTTP {status}")]
    HttpStatus {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The server stopped answering for longer than the configured timeout.
    #[error("cannot download {url}: no data for {} s (timeout)", timeout.as_secs_f64())]
    Timeout {
        /// The URL requested.
        url: String,
        /// The timeout that expired.
        timeout: std::time::Duration,
    },
    /// The connection broke or ended before the whole body arrived.
    #[error("download of {url} interrupted after {received} bytes{}: {source}",
        expected.map(|n| format!(" of {n}")).unwrap_or_default())]
    Interrupted {
        /// The URL requested.
        url: String,
        /// Bytes received before the failure.
        received: u64,
        /// Bytes announced by `Content-Length`, when known.
        expected: Option<u64>,
        /// Why.
        source: std::io::Error,
    },
    /// The archive's SHA-256 is not the expected one: it is corrupt or has been tampered with.
    #[error("SHA-256 mismatch for {source_name}: expected {expected}, got {actual}")]
    HashMismatch {
        /// The URL or file the archive came from.
        source_name: String,
        /// The hash it should have.
        expected: String,
        /// The hash it has.
        actual: String,
    },
    /// An expected SHA-256 that is not 64 hexadecimal digits.
    #[error("invalid SHA-256 {input:?}: expected 64 hexadecimal digits")]
    InvalidSha256 {
        /// What was given.
        input: String,
    },
    /// The expected SHA-256 given contradicts the hash pinned in the release table.
    #[error(
        "the SHA-256 given ({given}) differs from the one pinned for Carla {version} ({pinned})"
    )]
    ConflictingSha256 {
        /// The version being installed.
        version: String,
        /// The hash given by the user.
        given: String,
        /// The hash from the release table.
        pinned: String,
    },
    /// No hash is known for the archive and the user asked for neither a hash nor
    /// trust-on-first-use: installing would mean running unverified code.
    #[error(
        "no trustworthy SHA-256 is known for {source_name}: give its expected SHA-256 to verify \
         it, or accept it on first use (its hash is then reported)"
    )]
    Unverifiable {
        /// The URL or file that would be installed.
        source_name: String,
    },
    /// A version string that is not a plain release number (it becomes a directory name).
    #[error("invalid Carla version {version:?}: use digits, letters, `.`, `-` or `_` only")]
    InvalidVersion {
        /// What was given.
        version: String,
    },
    /// This machine's CPU is not one Carla publishes Linux binaries for.
    #[error("no Carla Linux binaries exist for the {arch} architecture")]
    UnsupportedArch {
        /// `std::env::consts::ARCH`.
        arch: &'static str,
    },
    /// Upstream publishes no Linux archive for this version and architecture.
    #[error(
        "upstream publishes no Linux {arch} archive of Carla {version}; install a local \
         archive, use a mirror serving {file_name}, or choose one of: {known}"
    )]
    NotPublished {
        /// The version asked for.
        version: String,
        /// The architecture.
        arch: &'static str,
        /// The file name a mirror would have to serve.
        file_name: String,
        /// Versions for which an upstream archive exists for this architecture.
        known: String,
    },
    /// The base URL is not an `http://` or `https://` URL.
    #[error("invalid base URL {url:?}: expected http:// or https://")]
    InvalidUrl {
        /// What was given.
        url: String,
    },
    /// The archive could not be decompressed or parsed.
    #[error("cannot read archive {archive}: {source}")]
    Archive {
        /// The URL or file the archive came from.
        archive: String,
        /// Why.
        source: std::io::Error,
    },
    /// The archive holds an entry that could write or point outside the installation.
    #[error("refusing archive {archive}: entry {entry:?} {reason}")]
    UnsafeEntry {
        /// The URL or file the archive came from.
        archive: String,
        /// The entry's path as stored in the archive.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The archive extracted fine but holds no Carla executable.
    #[error("no executable named `Carla` or `carla` found in {}", dir.display())]
    ExecutableNotFound {
        /// The directory searched.
        dir: PathBuf,
    },
    /// The archive is valid but holds no Carla executable, so installing it would be useless.
    #[error("{source_name} holds no executable named `Carla` or `carla` near its top")]
    NoExecutableInArchive {
        /// The URL or file the archive came from.
        source_name: String,
    },
    /// The destination already holds something; installing over it could leave a mix.
    #[error("destination {} already exists and is not empty; remove it first", path.display())]
    DestinationExists {
        /// The destination.
        path: PathBuf,
    },
    /// The user's data directory is unknown (no `$HOME`, no `$XDG_DATA_HOME`).
    #[error("cannot find the user's data directory; pass --dest DIR")]
    NoDataDir,
}

impl Error {
    /// Shorthand for [`Error::Io`].
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
