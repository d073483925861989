//! Download, verify and safely install a Carla release.
//!
//! pycarla's `--download` fetched Carla over plain HTTP without any integrity check and
//! unpacked it with little more than a prefix check. This crate replaces it with one
//! transaction that either installs a verified Carla completely or changes nothing:
//!
//! 1. **Resolve** the archive from a small release table ([`RELEASES`]), under GitHub or a
//!    mirror given as base URL; or take a local archive (offline install).
//! 2. **Refuse unverifiable installs** up front: the archive needs a pinned SHA-256, one the
//!    user gives ([`InstallOptions::sha256`]), or an explicit trust-on-first-use, in which case the
//!    computed hash is reported so it can be pinned next time.
//! 3. **Download** over TLS (rustls) with a progress bar on a terminal into a temporary
//!    directory beside the destination, hashing while writing; a failed, truncated or stalled
//!    download leaves nothing behind.
//! 4. **Verify** the hash, then **extract** with the [safety rules](#safety).
//! 5. **Rename** the extracted tree into place in one step.
//!
//! See [the `release` module](release) for what upstream actually publishes: no Linux binary
//! after 2.2.0, so the default version is 2.2.0 and 2.5.x needs a mirror or a local archive.
//!
//! ```no_run
//! use carla_fetch::{InstallOptions, Verification};
//!
//! let options = InstallOptions::new()
//!     .version("2.2.0")
//!     .sha256("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
//! let installation = carla_fetch::install(&options)?;
//! assert_eq!(installation.verification, Verification::UserSupplied);
//! println!("Carla is at {}", installation.executable.display());
//!
//! // Later, the process supervisor finds it again:
//! let carla = carla_fetch::find_installed(Some("2.2.0"));
//! assert_eq!(carla, Some(installation.executable));
//! # Ok::<(), carla_fetch::Error>(())
//! ```
//!
//! Errors carry their context and never need logging to be understood:
//!
//! ```
//! let options = carla_fetch::InstallOptions::new().version("../../etc");
//! let err = carla_fetch::install(&options).unwrap_err();
//! assert!(matches!(err, carla_fetch::Error::InvalidVersion { .. }));
//! ```
//!
//! # Safety
//!
//! The archive is treated as hostile even after verification, since a hash accepted on first
//! use vouches for nothing. Extraction refuses absolute paths, `..` components, writing through
//! symbolic links, symbolic links that resolve outside the tree (following chains of links),
//! hard links to anything but an already-extracted regular file, device nodes and fifos; it
//! drops set-user-ID, set-group-ID and sticky bits.

mod download;
mod error;
mod extract;
mod hash;
mod install;
mod locate;
pub mod release;

pub use error::Error;
pub use hash::{parse_sha256, sha256_of};
pub use install::{DEFAULT_TIMEOUT, InstallOptions, Installation, Verification, install};
pub use locate::{
    default_install_dir, find_executable, find_installed, find_installed_in, install_root,
};
pub use release::{Arch, DEFAULT_BASE_URL, DEFAULT_VERSION, RELEASES, STABLE_VERSION};
