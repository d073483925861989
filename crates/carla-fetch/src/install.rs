//! The install transaction: acquire, verify, extract beside the destination, rename into place.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::Error;
use crate::download::download;
use crate::extract::extract_tar_xz;
use crate::hash::{HashingWriter, parse_sha256};
use crate::locate::{default_install_dir, find_executable};
use crate::release::{self, Arch, DEFAULT_VERSION};

/// The default network timeout: long enough for a slow mirror, short enough to notice a stall.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How to install Carla: which version, from where, verified how (`pycarla download`'s
/// options are these fields).
///
/// Build it with [`InstallOptions::new`] and the chained setters, or as a struct literal with
/// `..Default::default()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallOptions {
    /// The Carla version; `None` means [`DEFAULT_VERSION`].
    pub version: Option<String>,
    /// Where to install; `None` means [`default_install_dir`] of the version.
    pub dest: Option<PathBuf>,
    /// A mirror serving `{URL}/v{version}/{file name}`; `None` means GitHub.
    pub base_url: Option<String>,
    /// Install this local `.tar.xz` instead of downloading.
    pub from_file: Option<PathBuf>,
    /// The archive's expected SHA-256.
    pub sha256: Option<String>,
    /// Accept an archive no hash is known for, reporting its hash.
    pub trust_on_first_use: bool,
    /// How long any single network wait (connect, response, each read) may last.
    pub timeout: Duration,
}

impl Default for InstallOptions {
    fn default() -> Self {
        InstallOptions {
            version: None,
            dest: None,
            base_url: None,
            from_file: None,
            sha256: None,
            trust_on_first_use: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl InstallOptions {
    /// Options for installing the default version from upstream into the default directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the Carla version.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Sets where to install.
    pub fn dest(mut self, dest: impl AsRef<Path>) -> Self {
        self.dest = Some(dest.as_ref().to_path_buf());
        self
    }

    /// Sets a mirror's base URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Installs a local archive instead of downloading.
    pub fn from_file(mut self, archive: impl AsRef<Path>) -> Self {
        self.from_file = Some(archive.as_ref().to_path_buf());
        self
    }

    /// Sets the archive's expected SHA-256.
    pub fn sha256(mut self, hex: impl Into<String>) -> Self {
        self.sha256 = Some(hex.into());
        self
    }

    /// Accepts (or not) an archive no hash is known for.
    pub fn trust_on_first_use(mut self, yes: bool) -> Self {
        self.trust_on_first_use = yes;
        self
    }

    /// Sets the network timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// How the installed archive was vouched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// It matched the SHA-256 pinned in [`release::RELEASES`].
    Pinned,
    /// It matched the SHA-256 the user gave.
    UserSupplied,
    /// Nothing vouched for it: the user accepted it on first use. Show them
    /// [`Installation::sha256`] so they can pin it next time.
    TrustOnFirstUse,
}

/// A completed installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The installed version.
    pub version: String,
    /// The installation directory.
    pub dir: PathBuf,
    /// The Carla executable inside it.
    pub executable: PathBuf,
    /// The archive's SHA-256, lowercase hex.
    pub sha256: String,
    /// How the archive was verified.
    pub verification: Verification,
    /// The URL or file the archive came from.
    pub source: String,
}

/// Where the archive comes from.
enum Source {
    Url(String),
    File(PathBuf),
}

/// Downloads (or copies), verifies and installs Carla as `options` says.
///
/// Refuses, before any network traffic, to install an archive nothing vouches for unless
/// trust-on-first-use is asked for. The archive is hashed as it is stored into a temporary
/// directory beside the destination, verified, extracted there with [the safety
/// rules](crate#safety), and the extracted tree is renamed into place in one step: on any
/// error the destination is untouched and the temporary directory removed.
pub fn install(options: &InstallOptions) -> Result<Installation, Error> {
    let version = options.version.as_deref().unwrap_or(DEFAULT_VERSION);
    release::validate_version(version)?;
    let given = options.sha256.as_deref().map(parse_sha256).transpose()?;

    let (source, pinned) = match &options.from_file {
        // A local file may be any build, so the table's hash does not apply to it.
        Some(path) => (Source::File(path.clone()), None),
        None => {
            let asset = release::resolve(version, Arch::host()?, options.base_url.as_deref())?;
            (Source::Url(asset.url), asset.sha256)
        }
    };
    let source_name = match &source {
        Source::Url(url) => url.clone(),
        Source::File(path) => path.display().to_string(),
    };
    let (expected, verification) = match (given, pinned) {
        (Some(given), Some(pinned)) if given != pinned => {
            return Err(Error::ConflictingSha256 {
                version: version.to_owned(),
                given,
                pinned: pinned.to_owned(),
            });
        }
        (Some(given), _) => (Some(given), Verification::UserSupplied),
        (None, Some(pinned)) => (Some(pinned.to_owned()), Verification::Pinned),
        (None, None) if options.trust_on_first_use => (None, Verification::TrustOnFirstUse),
        (None, None) => return Err(Error::Unverifiable { source_name }),
    };

    let dest = match &options.dest {
        Some(dest) => dest.clone(),
        None => default_install_dir(version)?,
    };
    check_destination_free(&dest)?;
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| Error::io("create directory", &parent, e))?;
    // Beside the destination so the final rename stays on one filesystem and is atomic.
    let staging = tempfile::Builder::new()
        .prefix(".carla-install-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io("create a temporary directory in", &parent, e))?;

    let archive = staging.path().join("archive.tar.xz");
    let actual = match &source {
        Source::Url(url) => download(url, &archive, options.timeout)?,
        Source::File(path) => copy_hashing(path, &archive)?,
    };
    match &expected {
        Some(expected) if *expected != actual => {
            return Err(Error::HashMismatch {
                source_name,
                expected: expected.clone(),
                actual,
            });
        }
        Some(_) => tracing::info!(sha256 = %actual, "archive verified"),
        None => tracing::warn!(
            sha256 = %actual,
            source = %source_name,
            "installing an archive accepted on first use; pin this SHA-256 to verify it next time"
        ),
    }

    let tree = staging.path().join("tree");
    fs::create_dir(&tree).map_err(|e| Error::io("create directory", &tree, e))?;
    extract_tar_xz(&archive, &source_name, &tree)?;
    let relative = find_executable(&tree)
        .and_then(|exe| exe.strip_prefix(&tree).ok().map(Path::to_path_buf))
        .ok_or_else(|| Error::NoExecutableInArchive {
            source_name: source_name.clone(),
        })?;

    fs::rename(&tree, &dest).map_err(|e| match e.kind() {
        io::ErrorKind::DirectoryNotEmpty
        | io::ErrorKind::AlreadyExists
        | io::ErrorKind::NotADirectory => Error::DestinationExists { path: dest.clone() },
        _ => Error::io("move the extracted tree to", &dest, e),
    })?;
    // Make the rename durable; failure here does not undo a completed install.
    if let Err(e) = File::open(&parent).and_then(|d| d.sync_all()) {
        tracing::debug!(dir = %parent.display(), error = %e, "cannot sync directory");
    }
    drop(staging);

    let installation = Installation {
        version: version.to_owned(),
        executable: dest.join(relative),
        dir: dest,
        sha256: actual,
        verification,
        source: source_name,
    };
    tracing::info!(
        executable = %installation.executable.display(),
        "Carla {} installed",
        installation.version
    );
    Ok(installation)
}

/// The destination must not exist, or be an empty real directory (which the rename replaces).
fn check_destination_free(dest: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("inspect", dest, e)),
        Ok(meta) if meta.is_dir() => {
            let mut entries =
                fs::read_dir(dest).map_err(|e| Error::io("read directory", dest, e))?;
            if entries.next().is_none() {
                Ok(())
            } else {
                Err(Error::DestinationExists {
                    path: dest.to_owned(),
                })
            }
        }
        Ok(_) => Err(Error::DestinationExists {
            path: dest.to_owned(),
        }),
    }
}

/// Copies a local archive into the staging directory, hashing the bytes copied, so the bytes
/// extracted are exactly the bytes verified even if the original changes meanwhile.
fn copy_hashing(from: &Path, to: &Path) -> Result<String, Error> {
    let mut input = File::open(from).map_err(|e| Error::io("open", from, e))?;
    let output = File::create_new(to).map_err(|e| Error::io("create", to, e))?;
    let mut writer = HashingWriter::new(output);
    io::copy(&mut input, &mut writer).map_err(|e| Error::io("copy", from, e))?;
    let (_, sha256) = writer.finish();
    Ok(sha256)
}
