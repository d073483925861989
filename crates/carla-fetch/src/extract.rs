//! Extracting an untrusted `.tar.xz` without ever writing or pointing outside the target.
//!
//! A downloaded archive is verified by hash, but the hash may have been accepted on first use,
//! and a mirror may be hostile: extraction must be safe on its own. The rules:
//!
//! * entry paths must be relative and free of `..`;
//! * nothing is ever written *through* a symbolic link: every directory on an entry's path
//!   must be a real directory created by this extraction, and an existing leaf is removed
//!   (never opened) before it is replaced;
//! * symbolic links must be relative and, once the whole tree exists, resolve (following any
//!   chain of links) to a place inside the tree;
//! * hard links must name a regular file already extracted, reached without symlinks;
//! * device nodes, fifos and unknown entry types are refused;
//! * set-user-ID, set-group-ID and sticky bits are dropped.
//!
//! The caller extracts into an empty temporary directory and discards it on any error.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use tar::EntryType;

use crate::Error;

/// The most symbolic links followed while checking one link, as the kernel's `MAXSYMLINKS`.
const MAX_LINK_HOPS: usize = 40;

/// Extracts the `.tar.xz` at `path` into the existing, empty directory `root`; errors name the
/// archive as `archive` (the URL or file it came from, not the temporary copy).
pub(crate) fn extract_tar_xz(path: &Path, archive: &str, root: &Path) -> Result<(), Error> {
    let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut tar = tar::Archive::new(xz2::read::XzDecoder::new(io::BufReader::new(file)));
    let archive_err = |source: io::Error| Error::Archive {
        archive: archive.to_owned(),
        source,
    };
    let mut dirs: Vec<(PathBuf, u32)> = Vec::new();
    for entry in tar.entries().map_err(archive_err)? {
        let mut entry = entry.map_err(archive_err)?;
        let name_bytes = entry.path_bytes().into_owned();
        let ctx = Ctx {
            archive,
            entry: String::from_utf8_lossy(&name_bytes).into_owned(),
        };
        let kind = entry.header().entry_type();
        if matches!(kind, EntryType::XGlobalHeader) {
            continue;
        }
        let parts = ctx.relative(&name_bytes)?;
        let mode = entry.header().mode().unwrap_or(0o644) & 0o777;
        let Some((leaf, parents)) = parts.split_last() else {
            // `./` or an empty name: the root itself, which already exists.
            if kind.is_dir() {
                continue;
            }
            return Err(ctx.refuse("has an empty path"));
        };
        match kind {
            EntryType::Directory => {
                let dir = ensure_dirs(&ctx, root, &parts)?;
                dirs.push((dir, mode));
            }
            EntryType::Regular | EntryType::Continuous => {
                let path = ensure_dirs(&ctx, root, parents)?.join(leaf);
                clear_leaf(&ctx, &path)?;
                let mut out = File::create_new(&path).map_err(|e| Error::io("create", &path, e))?;
                copy_entry(&mut entry, &mut out, &path).map_err(|e| match e {
                    CopyError::Read(source) => archive_err(source),
                    CopyError::Write(e) => e,
                })?;
                out.set_permissions(fs::Permissions::from_mode(mode))
                    .map_err(|e| Error::io("set permissions of", &path, e))?;
            }
            EntryType::Symlink => {
                let target = link_target(&ctx, &entry)?;
                check_symlink_lexically(&ctx, parents.len(), &target)?;
                let path = ensure_dirs(&ctx, root, parents)?.join(leaf);
                clear_leaf(&ctx, &path)?;
                std::os::unix::fs::symlink(&target, &path)
                    .map_err(|e| Error::io("create symlink", &path, e))?;
            }
            EntryType::Link => {
                let target = link_target(&ctx, &entry)?;
                let target_parts = ctx
                    .relative(target.as_os_str().as_bytes())
                    .map_err(|_| ctx.refuse("is a hard link pointing outside the archive"))?;
                let target_path = existing_regular_file(&ctx, root, &target_parts)?;
                let path = ensure_dirs(&ctx, root, parents)?.join(leaf);
                clear_leaf(&ctx, &path)?;
                fs::hard_link(&target_path, &path)
                    .map_err(|e| Error::io("create hard link", &path, e))?;
            }
            EntryType::Char | EntryType::Block => return Err(ctx.refuse("is a device node")),
            EntryType::Fifo => return Err(ctx.refuse("is a fifo")),
            other => return Err(ctx.refuse(&format!("has unsupported type {other:?}"))),
        }
    }
    check_all_symlinks(archive, root)?;
    // Directory modes last, deepest first, so read-only directories do not block extraction.
    dirs.sort_by_key(|(path, _)| std::cmp::Reverse(path.components().count()));
    for (dir, mode) in dirs {
        fs::set_permissions(&dir, fs::Permissions::from_mode(mode | 0o700))
            .map_err(|e| Error::io("set permissions of", &dir, e))?;
    }
    Ok(())
}

enum CopyError {
    Read(io::Error),
    Write(Error),
}

/// Copies an entry's data, telling a corrupt archive (read) from a full disk (write).
fn copy_entry(from: &mut impl io::Read, to: &mut File, path: &Path) -> Result<(), CopyError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        io::Write::write_all(to, &buf[..n])
            .map_err(|e| CopyError::Write(Error::io("write", path, e)))?;
    }
}

/// The archive and entry an error is about.
struct Ctx<'a> {
    archive: &'a str,
    entry: String,
}

impl Ctx<'_> {
    fn refuse(&self, reason: &str) -> Error {
        Error::UnsafeEntry {
            archive: self.archive.to_owned(),
            entry: self.entry.clone(),
            reason: reason.to_owned(),
        }
    }

    /// The normal components of a relative path without `..`; `.` components are dropped.
    fn relative(&self, bytes: &[u8]) -> Result<Vec<OsString>, Error> {
        if bytes.contains(&0) {
            return Err(self.refuse("contains a NUL byte"));
        }
        let mut parts = Vec::new();
        for component in Path::new(OsStr::from_bytes(bytes)).components() {
            match component {
                Component::Normal(name) => parts.push(name.to_owned()),
                Component::CurDir => {}
                Component::ParentDir => return Err(self.refuse("contains a `..` component")),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(self.refuse("has an absolute path"));
                }
            }
        }
        Ok(parts)
    }
}

fn link_target<R: io::Read>(ctx: &Ctx<'_>, entry: &tar::Entry<'_, R>) -> Result<PathBuf, Error> {
    match entry.link_name_bytes() {
        Some(bytes) if !bytes.is_empty() && !bytes.contains(&0) => {
            Ok(PathBuf::from(OsStr::from_bytes(&bytes)))
        }
        _ => Err(ctx.refuse("is a link without a valid target")),
    }
}

/// Creates `root/parts…` one level at a time, refusing to pass through anything but real
/// directories, and returns the resulting path.
fn ensure_dirs(ctx: &Ctx<'_>, root: &Path, parts: &[OsString]) -> Result<PathBuf, Error> {
    let mut path = root.to_path_buf();
    for part in parts {
        path.push(part);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(ctx.refuse("would be written through a symbolic link"));
            }
            Ok(_) => return Err(ctx.refuse("has a parent that is not a directory")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&path).map_err(|e| Error::io("create directory", &path, e))?;
            }
            Err(e) => return Err(Error::io("inspect", &path, e)),
        }
    }
    Ok(path)
}

/// Removes a file or link already at `path` (a later entry replaces an earlier one), without
/// following it; refuses to replace a directory.
fn clear_leaf(ctx: &Ctx<'_>, path: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Err(ctx.refuse("would replace a directory")),
        Ok(_) => fs::remove_file(path).map_err(|e| Error::io("remove", path, e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("inspect", path, e)),
    }
}

/// The path of an extracted regular file reached through real directories only.
fn existing_regular_file(ctx: &Ctx<'_>, root: &Path, parts: &[OsString]) -> Result<PathBuf, Error> {
    let Some((leaf, parents)) = parts.split_last() else {
        return Err(ctx.refuse("is a hard link to the archive root"));
    };
    let mut path = root.to_path_buf();
    for part in parents {
        path.push(part);
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            return Err(ctx.refuse("is a hard link whose target is not an extracted file"));
        }
    }
    path.push(leaf);
    if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        Ok(path)
    } else {
        Err(ctx.refuse("is a hard link whose target is not an extracted file"))
    }
}

/// A quick early check: a relative target that climbs above the root by its own `..`s.
fn check_symlink_lexically(ctx: &Ctx<'_>, depth: usize, target: &Path) -> Result<(), Error> {
    let mut depth = depth as isize;
    for component in target.components() {
        match component {
            Component::RootDir | Component::Prefix(_) => {
                return Err(ctx.refuse("is a symbolic link with an absolute target"));
            }
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
        }
        if depth < 0 {
            return Err(ctx.refuse("is a symbolic link pointing outside the archive"));
        }
    }
    Ok(())
}

/// Checks every symlink of the finished tree by resolving it as the kernel would, following
/// chains of links: lexical checks alone miss `a -> .` combined with `b -> a/..`.
fn check_all_symlinks(archive: &str, root: &Path) -> Result<(), Error> {
    let mut pending = vec![Vec::<OsString>::new()];
    while let Some(dir_parts) = pending.pop() {
        let dir: PathBuf = dir_parts.iter().fold(root.to_path_buf(), |p, c| p.join(c));
        let read = fs::read_dir(&dir).map_err(|e| Error::io("read directory", &dir, e))?;
        for item in read {
            let item = item.map_err(|e| Error::io("read directory", &dir, e))?;
            let kind = item
                .file_type()
                .map_err(|e| Error::io("inspect", item.path(), e))?;
            let mut parts = dir_parts.clone();
            parts.push(item.file_name());
            if kind.is_dir() {
                pending.push(parts);
            } else if kind.is_symlink() && resolves_outside(root, &dir_parts, &item.path()) {
                let entry: PathBuf = parts.iter().collect();
                return Err(Error::UnsafeEntry {
                    archive: archive.to_owned(),
                    entry: entry.display().to_string(),
                    reason: "is a symbolic link resolving outside the archive".to_owned(),
                });
            }
        }
    }
    Ok(())
}

/// Whether following the symlink at `link` (inside directory `dir_parts` of `root`) leaves
/// `root`. Missing components are taken literally; loops count as leaving.
fn resolves_outside(root: &Path, dir_parts: &[OsString], link: &Path) -> bool {
    enum Step {
        Up,
        Down(OsString),
    }
    fn steps(target: &Path) -> Option<Vec<Step>> {
        let mut out = Vec::new();
        for c in target.components() {
            match c {
                Component::RootDir | Component::Prefix(_) => return None,
                Component::CurDir => {}
                Component::ParentDir => out.push(Step::Up),
                Component::Normal(n) => out.push(Step::Down(n.to_owned())),
            }
        }
        Some(out)
    }
    let Ok(first) = fs::read_link(link) else {
        return true;
    };
    let Some(first) = steps(&first) else {
        return true;
    };
    let mut stack: Vec<OsString> = dir_parts.to_vec();
    let mut queue: VecDeque<Step> = first.into();
    let mut hops = 0;
    while let Some(step) = queue.pop_front() {
        match step {
            Step::Up => {
                if stack.pop().is_none() {
                    return true;
                }
            }
            Step::Down(name) => {
                let here: PathBuf = stack
                    .iter()
                    .fold(root.to_path_buf(), |p, c| p.join(c))
                    .join(&name);
                let is_link = fs::symlink_metadata(&here).is_ok_and(|m| m.file_type().is_symlink());
                if !is_link {
                    stack.push(name);
                    continue;
                }
                hops += 1;
                let Some(next) = (hops <= MAX_LINK_HOPS)
                    .then(|| fs::read_link(&here).ok())
                    .flatten()
                    .and_then(|t| steps(&t))
                else {
                    return true;
                };
                for s in next.into_iter().rev() {
                    queue.push_front(s);
                }
            }
        }
    }
    false
}
