//! Where installations live and how the Carla executable is found inside one.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::release::{self, DEFAULT_VERSION};

/// Executable names, best first: release archives ship `Carla`, source installs `carla`.
const EXECUTABLE_NAMES: [&str; 2] = ["Carla", "carla"];

/// How deep below an installation directory the executable may sit: release archives nest it
/// in one top-level directory (`Carla_2.2.0-linux64/Carla`), other layouts in `bin/`.
const MAX_DEPTH: usize = 3;

/// The directory holding every installed version: `<data dir>/pycarla/carla`, e.g.
/// `~/.local/share/pycarla/carla`.
pub fn install_root() -> Result<PathBuf, Error> {
    dirs::data_dir()
        .map(|d| d.join("pycarla").join("carla"))
        .ok_or(Error::NoDataDir)
}

/// Where `version` is installed by default: `<data dir>/pycarla/carla/<version>`.
///
/// Fails on a version that is not a plain directory name, so it can never point elsewhere.
pub fn default_install_dir(version: &str) -> Result<PathBuf, Error> {
    release::validate_version(version)?;
    Ok(install_root()?.join(version))
}

/// The Carla executable of an installation in `dir`, searched breadth-first a few levels
/// deep, preferring shallower paths and the name `Carla` over `carla`.
///
/// Symbolic links to directories are not descended into, so the search stays inside `dir`.
pub fn find_executable(dir: impl AsRef<Path>) -> Option<PathBuf> {
    let mut level = vec![dir.as_ref().to_path_buf()];
    for _ in 0..=MAX_DEPTH {
        for name in EXECUTABLE_NAMES {
            let mut hits: Vec<PathBuf> = level
                .iter()
                .map(|d| d.join(name))
                .filter(|p| is_executable_file(p))
                .collect();
            hits.sort();
            if let Some(hit) = hits.into_iter().next() {
                return Some(hit);
            }
        }
        let mut next = Vec::new();
        for d in &level {
            let Ok(read) = fs::read_dir(d) else { continue };
            next.extend(
                read.flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.path()),
            );
        }
        next.sort();
        level = next;
    }
    None
}

fn is_executable_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The Carla executable installed by this crate, for the process supervisor.
///
/// With a version, only that version's default directory is looked at. Without one, the
/// default version wins, then the highest other installed version.
pub fn find_installed(version: Option<&str>) -> Option<PathBuf> {
    find_installed_in(install_root().ok()?, version)
}

/// [`find_installed`] under an explicit root instead of the user's data directory.
pub fn find_installed_in(root: impl AsRef<Path>, version: Option<&str>) -> Option<PathBuf> {
    let root = root.as_ref();
    if let Some(version) = version {
        release::validate_version(version).ok()?;
        return find_executable(root.join(version));
    }
    if let Some(exe) = find_executable(root.join(DEFAULT_VERSION)) {
        return Some(exe);
    }
    let mut versions: Vec<String> = fs::read_dir(root)
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|v| release::validate_version(v).is_ok())
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(version_key(v)));
    versions.iter().find_map(|v| find_executable(root.join(v)))
}

/// Orders `2.10.0` after `2.9.1`: numeric parts compare as numbers.
fn version_key(v: &str) -> Vec<(u64, String)> {
    v.split(['.', '-', '_'])
        .map(|part| (part.parse().unwrap_or(0), part.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exe(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "#!/bin/sh\n").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn finds_nested_executable_and_prefers_shallow() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(find_executable(tmp.path()), None);
        // Not executable: ignored.
        fs::write(tmp.path().join("Carla"), "").unwrap();
        exe(&tmp.path().join("a/b/carla"));
        assert_eq!(
            find_executable(tmp.path()),
            Some(tmp.path().join("a/b/carla"))
        );
        exe(&tmp.path().join("z/Carla"));
        assert_eq!(
            find_executable(tmp.path()),
            Some(tmp.path().join("z/Carla"))
        );
        exe(&tmp.path().join("a/b/c/d/Carla"));
        assert_eq!(
            find_executable(tmp.path()),
            Some(tmp.path().join("z/Carla"))
        );
    }

    #[test]
    fn too_deep_is_not_found() {
        let tmp = tempfile::tempdir().unwrap();
        exe(&tmp.path().join("a/b/c/d/Carla"));
        assert_eq!(find_executable(tmp.path()), None);
    }

    #[test]
    fn find_installed_prefers_default_then_highest() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(find_installed_in(tmp.path(), None), None);
        exe(&tmp.path().join("2.9.1/Carla"));
        exe(&tmp.path().join("2.10.0/x/Carla"));
        assert_eq!(
            find_installed_in(tmp.path(), None),
            Some(tmp.path().join("2.10.0/x/Carla"))
        );
        exe(&tmp.path().join(DEFAULT_VERSION).join("Carla"));
        assert_eq!(
            find_installed_in(tmp.path(), None),
            Some(tmp.path().join(DEFAULT_VERSION).join("Carla"))
        );
        assert_eq!(
            find_installed_in(tmp.path(), Some("2.9.1")),
            Some(tmp.path().join("2.9.1/Carla"))
        );
        assert_eq!(find_installed_in(tmp.path(), Some("../2.9.1")), None);
        assert_eq!(find_installed_in(tmp.path(), Some("3.0")), None);
    }

    #[test]
    fn default_dir_rejects_traversal() {
        assert!(matches!(
            default_install_dir("../x"),
            Err(Error::InvalidVersion { .. })
        ));
        if let Ok(dir) = default_install_dir("2.5.10") {
            assert!(dir.ends_with("pycarla/carla/2.5.10"));
        }
    }
}
