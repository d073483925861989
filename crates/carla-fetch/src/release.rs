//! The table of known Carla releases and how an asset's URL is built.
//!
//! # What upstream actually publishes (checked 2025)
//!
//! Carla's author stopped building Linux binaries after 2.2.0: the 2.5.x GitHub releases carry
//! macOS (`Carla-2.5.10-macos-universal.dmg`) and Windows (`Carla-2.5.10-win64.zip`) archives
//! and sources, but no Linux tarball (falkTX/Carla issues #1850 and #1973: "Carla linux
//! downloads are old because I dont do those anymore"). The newest Linux binary is
//! `v2.2.0/Carla_2.2.0-linux64.tar.xz`, x86_64 only; no aarch64 Linux binary was ever published.
//!
//! So the table pins the current stable 2.5.10 with the names a mirror must use
//! (`Carla-2.5.10-linux-x86_64.tar.xz`, `Carla-2.5.10-linux-aarch64.tar.xz`, following the
//! hyphenated 2.5.x naming) but marks them unpublished: installing them needs a mirror or a
//! local archive. The default version is therefore 2.2.0, the one that can be downloaded.
//!
//! No SHA-256 is pinned: neither GitHub nor the KXStudio site publishes checksums for these
//! archives, and a hash copied from an unofficial source would give false assurance. Installing
//! thus needs an expected hash or trust-on-first-use (see [`crate::InstallOptions`]).

use crate::Error;

/// Where upstream Carla release assets live: `{base}/v{version}/{file name}`.
pub const DEFAULT_BASE_URL: &str = "https://github.com/falkTX/Carla/releases/download";

/// The version installed when none is given: the newest with an upstream Linux binary.
pub const DEFAULT_VERSION: &str = "2.2.0";

/// The current stable Carla release, pinned so that mirrors know which file names to serve.
pub const STABLE_VERSION: &str = "2.5.10";

/// A CPU architecture Carla can be installed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    /// 64-bit x86 (`x86_64`, `amd64`).
    X86_64,
    /// 64-bit ARM (`aarch64`, `arm64`).
    Aarch64,
}

impl Arch {
    /// The architecture this program runs on, or an error naming it if Carla has none.
    pub fn host() -> Result<Arch, Error> {
        match std::env::consts::ARCH {
            "x86_64" => Ok(Arch::X86_64),
            "aarch64" => Ok(Arch::Aarch64),
            other => Err(Error::UnsupportedArch { arch: other }),
        }
    }

    /// The name used in file names and messages (`x86_64`, `aarch64`).
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One downloadable archive of a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// The architecture it runs on.
    pub arch: Arch,
    /// Its file name under `{base}/v{version}/`.
    pub file_name: &'static str,
    /// Its SHA-256 in lowercase hex, when a trustworthy public source gives one.
    pub sha256: Option<&'static str>,
    /// Whether the upstream release page actually hosts it; when not, only a mirror can.
    pub published_upstream: bool,
}

/// A Carla release and its Linux archives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// The version, as in the release tag without its `v`.
    pub version: &'static str,
    /// Its Linux archives.
    pub assets: &'static [Asset],
}

/// The releases this crate knows, newest first.
pub const RELEASES: &[Release] = &[
    Release {
        version: STABLE_VERSION,
        assets: &[
            Asset {
                arch: Arch::X86_64,
                file_name: "Carla-2.5.10-linux-x86_64.tar.xz",
                sha256: None,
                published_upstream: false,
            },
            Asset {
                arch: Arch::Aarch64,
                file_name: "Carla-2.5.10-linux-aarch64.tar.xz",
                sha256: None,
                published_upstream: false,
            },
        ],
    },
    Release {
        version: "2.2.0",
        assets: &[Asset {
            arch: Arch::X86_64,
            file_name: "Carla_2.2.0-linux64.tar.xz",
            sha256: None,
            published_upstream: true,
        }],
    },
];

/// The asset to fetch for a version and architecture, with the URL it is fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedAsset {
    /// The full URL.
    pub url: String,
    /// The pinned SHA-256, if any.
    pub sha256: Option<&'static str>,
}

/// The file name used for a version missing from [`RELEASES`], for mirrors.
fn conventional_file_name(version: &str, arch: Arch) -> String {
    format!("Carla-{version}-linux-{arch}.tar.xz")
}

/// Resolves the URL of `version` for `arch` under `base_url` (`None`: upstream).
///
/// Versions or architectures missing from the table, and assets upstream does not host, are
/// allowed only with a custom base URL: a mirror may serve them, upstream certainly does not,
/// and failing before any network traffic gives a clearer message than a 404.
pub fn resolve(version: &str, arch: Arch, base_url: Option<&str>) -> Result<ResolvedAsset, Error> {
    validate_version(version)?;
    let asset = RELEASES
        .iter()
        .find(|r| r.version == version)
        .and_then(|r| r.assets.iter().find(|a| a.arch == arch));
    let file_name = asset.map_or_else(
        || conventional_file_name(version, arch),
        |a| a.file_name.to_owned(),
    );
    let published = asset.is_some_and(|a| a.published_upstream);
    let base = match base_url {
        Some(url) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::InvalidUrl {
                    url: url.to_owned(),
                });
            }
            url
        }
        None if published => DEFAULT_BASE_URL,
        None => {
            let known: Vec<&str> = RELEASES
                .iter()
                .filter(|r| {
                    r.assets
                        .iter()
                        .any(|a| a.arch == arch && a.published_upstream)
                })
                .map(|r| r.version)
                .collect();
            return Err(Error::NotPublished {
                version: version.to_owned(),
                arch: arch.as_str(),
                file_name,
                known: if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                },
            });
        }
    };
    Ok(ResolvedAsset {
        url: format!("{}/v{version}/{file_name}", base.trim_end_matches('/')),
        sha256: asset.and_then(|a| a.sha256),
    })
}

/// Rejects versions that would not be a single, harmless directory name.
///
/// The version becomes a path component of the default destination, so `../x` or `/etc`
/// must never get through.
pub fn validate_version(version: &str) -> Result<(), Error> {
    let ok = !version.is_empty()
        && version.len() <= 64
        && !version.starts_with('.')
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidVersion {
            version: version.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_version_downloads_from_github() {
        let asset = resolve(DEFAULT_VERSION, Arch::X86_64, None).unwrap();
        assert_eq!(
            asset.url,
            "https://github.com/falkTX/Carla/releases/download/v2.2.0/Carla_2.2.0-linux64.tar.xz"
        );
    }

    #[test]
    fn unpublished_needs_a_mirror() {
        assert!(matches!(
            resolve(STABLE_VERSION, Arch::X86_64, None),
            Err(Error::NotPublished { .. })
        ));
        assert!(matches!(
            resolve(DEFAULT_VERSION, Arch::Aarch64, None),
            Err(Error::NotPublished { .. })
        ));
        let asset = resolve(STABLE_VERSION, Arch::Aarch64, Some("http://mirror/carla/")).unwrap();
        assert_eq!(
            asset.url,
            "http://mirror/carla/v2.5.10/Carla-2.5.10-linux-aarch64.tar.xz"
        );
        let asset = resolve("9.9", Arch::X86_64, Some("https://m")).unwrap();
        assert_eq!(asset.url, "https://m/v9.9/Carla-9.9-linux-x86_64.tar.xz");
    }

    #[test]
    fn hostile_versions_are_rejected() {
        for v in ["", "..", "../x", "/etc", "a/b", ".hidden", "1 2", "2.5\0"] {
            assert!(validate_version(v).is_err(), "{v:?}");
        }
        assert!(resolve("2.5.10", Arch::X86_64, Some("file:///etc")).is_err());
    }
}
