//! Every Carla on the machine: where it is, its version and the plugin formats it hosts, so
//! that a plugin goes to a Carla that can host it (a distribution's 2.5 for LV2 and SoundFonts,
//! a 2.6 build beside it for CLAP) and `doctor` can say what is there.
//!
//! Nothing here runs Carla's engine: the version is read from the library file's own bytes
//! (the version strings Carla compiles in), and the formats from Carla's utils library
//! (`carla_get_supported_features`, `carla_get_supported_file_extensions`), which creates no
//! engine and no plugin.

use std::collections::HashMap;
use std::ffi::c_char;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::error::{Error, Result};
use crate::host::string;
use crate::library::{LIBRARY_DIR_VAR, LIBRARY_NAME, pkg_config_libdir};
use crate::loader::Loaded;
use crate::plugin::Format;

/// The oldest Carla whose host API this crate calls: 2.4 added `carla_get_native_patchbay_plugin`
/// and the host handle of a native plugin.
pub const OLDEST_SUPPORTED: Version = Version {
    major: 2,
    minor: 4,
    patch: 0,
};

/// A Carla version, as Carla's `CARLA_VERSION_STRING` spells it (`2.5.9`, `2.6.0-alpha1`: the
/// suffix is kept in [`CarlaInstall::version_text`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// 2 for every Carla this crate can load.
    pub major: u32,
    /// The series: 5 for 2.5.x.
    pub minor: u32,
    /// The release within the series (0 when only the series is known).
    pub patch: u32,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// How an install was found (the order of [`CarlaInstall::find_all`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoundBy {
    /// `$PYCARLA_CARLA_LIBDIR`.
    Environment,
    /// `pkg-config carla-host-plugin`.
    PkgConfig,
    /// One of the directories distributions install into.
    System,
    /// `/opt/*/lib/carla`: a build under its own prefix.
    Opt,
    /// A directory the caller added (a `pycarla download` install).
    Extra,
}

impl FoundBy {
    /// A word for listings.
    pub fn name(self) -> &'static str {
        match self {
            FoundBy::Environment => "environment",
            FoundBy::PkgConfig => "pkg-config",
            FoundBy::System => "system",
            FoundBy::Opt => "opt",
            FoundBy::Extra => "download",
        }
    }
}

/// One Carla found on the machine.
#[derive(Clone, Debug)]
pub struct CarlaInstall {
    /// Its `libcarla_host-plugin.so`.
    pub library: PathBuf,
    /// How it was found.
    pub found_by: FoundBy,
    /// Its version, read from the library file (`None` when the file names none).
    pub version: Option<Version>,
    /// The version as Carla spells it (`2.6.0-alpha1`), or `unknown`.
    pub version_text: String,
    /// The plugin formats it hosts, in [`Format::ALL`]'s order.
    pub formats: Vec<Format>,
    /// Why it cannot be used, when it cannot.
    pub unsupported: Option<String>,
}

impl CarlaInstall {
    /// Every Carla on the machine, in the order they are preferred: `$PYCARLA_CARLA_LIBDIR`
    /// (then the only one; set to a directory without Carla it means "no Carla"), what
    /// `pkg-config` says, the directories distributions install into, `/opt/*/lib/carla`, then
    /// `extra` (each directory, or its `lib/carla`).
    pub fn find_all(extra: &[PathBuf]) -> Vec<CarlaInstall> {
        candidate_dirs(extra)
            .into_iter()
            .filter_map(|(dir, found_by)| {
                let library = dir.join(LIBRARY_NAME);
                library
                    .is_file()
                    .then(|| CarlaInstall::probe(&library, found_by))
            })
            .collect()
    }

    /// Reads one library's version and formats (cached per file for the process).
    pub fn probe(library: &Path, found_by: FoundBy) -> CarlaInstall {
        static PROBED: Mutex<Option<HashMap<PathBuf, Probed>>> = Mutex::new(None);
        let probed = {
            let mut cache = PROBED.lock().unwrap_or_else(PoisonError::into_inner);
            cache
                .get_or_insert_with(HashMap::new)
                .entry(library.to_path_buf())
                .or_insert_with(|| Probed::read(library))
                .clone()
        };
        let unsupported = match (&probed.version, &probed.formats) {
            (_, Err(why)) => Some(why.clone()),
            (Some(version), _) if *version < OLDEST_SUPPORTED => Some(format!(
                "Carla {version} is older than {OLDEST_SUPPORTED}, whose host API is needed"
            )),
            _ => None,
        };
        CarlaInstall {
            library: library.to_path_buf(),
            found_by,
            version: probed.version,
            version_text: probed.version_text,
            formats: probed.formats.unwrap_or_default(),
            unsupported,
        }
    }

    /// The directory holding the library (and Carla's other libraries).
    pub fn dir(&self) -> &Path {
        self.library.parent().unwrap_or(Path::new("/"))
    }

    /// Whether it can be used and hosts `format`.
    pub fn hosts(&self, format: Format) -> bool {
        self.unsupported.is_none() && self.formats.contains(&format)
    }

    /// `Carla 2.5.9 (/usr/lib/carla)`.
    pub fn describe(&self) -> String {
        format!("Carla {} ({})", self.version_text, self.dir().display())
    }
}

/// The Carla that hosts every format of `formats`: the first found that does, except that
/// VST3 goes to a Carla 2.6 or later where one hosts the rest (its VST3 host passes
/// controllers, programs and state; 2.5's drops them). `None` formats (a project) accept any.
pub fn choose(installs: &[CarlaInstall], formats: &[Format]) -> Result<CarlaInstall> {
    choose_with(installs, formats, Vst3Preference::Complete)
}

/// Which Carla a VST3 plugin prefers when several host it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vst3Preference {
    /// 2.6 or later: its VST3 host passes controllers, programs and state.
    Complete,
    /// Before 2.6: its VST3 host gives each event its offset in the cycle (2.6's gives 0 and
    /// relies on splitting its run, which played DISTRHO Kars' notes up to a period late on
    /// JACK, where the cycle cannot be split from outside).
    SampleAccurate,
}

/// [`choose`], with the VST3 preference given.
pub fn choose_with(
    installs: &[CarlaInstall],
    formats: &[Format],
    vst3: Vst3Preference,
) -> Result<CarlaInstall> {
    let hosting = || {
        installs
            .iter()
            .filter(|install| formats.iter().all(|format| install.hosts(*format)))
    };
    let preferred = formats.contains(&Format::Vst3).then(|| {
        hosting().find(|install| {
            install.version.is_some_and(|v| match vst3 {
                Vst3Preference::Complete => v >= VST3_COMPLETE,
                Vst3Preference::SampleAccurate => v < VST3_COMPLETE,
            })
        })
    });
    if let Some(install) = preferred.flatten().or_else(|| hosting().next()) {
        if install.unsupported.is_none() {
            return Ok(install.clone());
        }
    }
    Err(Error::NoCarlaFor {
        formats: formats.iter().map(ToString::to_string).collect(),
        found: installs
            .iter()
            .map(|install| match &install.unsupported {
                Some(why) => format!("{}: unsupported, {why}", install.describe()),
                None => format!(
                    "{}: {}",
                    install.describe(),
                    install
                        .formats
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect(),
    })
}

/// The first Carla whose VST3 host passes controllers, programs and state.
pub const VST3_COMPLETE: Version = Version {
    major: 2,
    minor: 6,
    patch: 0,
};

/// What one library file says of itself.
#[derive(Clone, Debug)]
struct Probed {
    version: Option<Version>,
    version_text: String,
    formats: std::result::Result<Vec<Format>, String>,
}

impl Probed {
    fn read(library: &Path) -> Probed {
        // The host library names its series; the standalone library beside it (built from the
        // same tree) keeps the full version string where the host library's build dropped it.
        let read = |path: &Path| std::fs::read(path).ok();
        let series = read(library).and_then(|bytes| version_in(&bytes, None));
        let text = match &series {
            Some(series) if !series.contains('-') && series.matches('.').count() == 1 => {
                read(&library.with_file_name(crate::standalone::STANDALONE_LIBRARY_NAME))
                    .and_then(|bytes| version_in(&bytes, Some(series)))
                    .or(series.clone().into())
            }
            _ => series,
        };
        let version = text.as_deref().and_then(parse_version);
        Probed {
            version,
            version_text: text.unwrap_or_else(|| "unknown".into()),
            formats: formats_of(library),
        }
    }
}

/// The version Carla compiled into a library: `CARLA_VERSION_STRMIN` appears in the project
/// header it writes (`<CARLA-PROJECT VERSION='2.5'`), and the full `CARLA_VERSION_STRING`
/// (`2.5.9`, `2.6.0-alpha1`) as a string of its own where the build kept it. `series`, when
/// known from another library of the same build, stands in for a missing header.
fn version_in(bytes: &[u8], series: Option<&str>) -> Option<String> {
    const TAG: &[u8] = b"<CARLA-PROJECT VERSION='";
    let series = match find(bytes, TAG) {
        Some(found) => {
            let start = found + TAG.len();
            let end = start + bytes[start..].iter().position(|&b| b == b'\'')?;
            std::str::from_utf8(&bytes[start..end]).ok()?
        }
        None => series?,
    };
    let mut full = Vec::from(b"\0".as_slice());
    full.extend_from_slice(series.as_bytes());
    full.push(b'.');
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], &full) {
        let begin = at + found + 1;
        let end = begin + bytes[begin..].iter().position(|&b| b == 0)?;
        if let Ok(text) = std::str::from_utf8(&bytes[begin..end]) {
            if parse_version(text).is_some() && text.len() <= 24 {
                return Some(text.to_string());
            }
        }
        at = begin;
    }
    Some(series.to_string())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// `2.5.9`, `2.6.0-alpha1`, `2.5` → a version (a suffix after `-` is ignored).
pub fn parse_version(text: &str) -> Option<Version> {
    let numbers = text.split('-').next()?;
    let mut parts = numbers.split('.');
    let number = |part: Option<&str>| -> Option<u32> {
        let part = part?;
        (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let major = number(parts.next())?;
    let minor = number(parts.next())?;
    let patch = match parts.next() {
        None => 0,
        some => number(some)?,
    };
    parts.next().is_none().then_some(Version {
        major,
        minor,
        patch,
    })
}

type StringList = unsafe extern "C" fn() -> *const *const c_char;

#[derive(Debug)]
struct UtilsFunctions {
    features: StringList,
    extensions: StringList,
}

/// The formats a Carla hosts, as its utils library says: LV2, VST2, LADSPA and DSSI always;
/// VST3, CLAP and SFZ when its file extensions name them; SF2 when it was built with
/// FluidSynth (its features name `sf2`).
fn formats_of(library: &Path) -> std::result::Result<Vec<Format>, String> {
    let utils = library.with_file_name("libcarla_utils.so");
    // Carla's utils library (no engine, no plugin); the host library exports the same two
    // functions where a build lacks it.
    let path = if utils.is_file() {
        utils
    } else {
        library.to_path_buf()
    };
    let loaded = Loaded::open(&path, |symbols| {
        // SAFETY: both are `const char* const* f(void)` in `CarlaUtils.h`.
        unsafe {
            Ok(UtilsFunctions {
                features: symbols.get("carla_get_supported_features")?,
                extensions: symbols.get("carla_get_supported_file_extensions")?,
            })
        }
    })
    .map_err(|error| error.to_string())?;
    // SAFETY: both return NULL-terminated static arrays of static strings.
    let (features, extensions) = unsafe {
        (
            strings((loaded.functions.features)()),
            strings((loaded.functions.extensions)()),
        )
    };
    // Carla's libraries keep process-wide state; unloading them again is not worth the risk.
    std::mem::forget(loaded);
    let has = |list: &[String], name: &str| list.iter().any(|item| item == name);
    Ok(Format::ALL
        .into_iter()
        .filter(|format| match format {
            Format::Lv2 | Format::Vst2 | Format::Ladspa | Format::Dssi => true,
            Format::Vst3 => has(&extensions, "vst3"),
            Format::Clap => has(&extensions, "clap"),
            Format::Sfz => has(&extensions, "sfz"),
            Format::Sf2 => has(&features, "sf2"),
        })
        .collect())
}

/// Copies a NULL-terminated array of C strings.
///
/// # Safety
/// `list` is NULL or a NULL-terminated array of NUL-terminated strings.
unsafe fn strings(list: *const *const c_char) -> Vec<String> {
    let mut out = Vec::new();
    if list.is_null() {
        return out;
    }
    let mut at = list;
    // SAFETY: by the caller, every element up to the NULL is a string.
    unsafe {
        while !(*at).is_null() {
            out.push(string(*at));
            at = at.add(1);
        }
    }
    out
}

/// Directories to look in, in order, each once (and how each is found).
pub(crate) fn candidate_dirs(extra: &[PathBuf]) -> Vec<(PathBuf, FoundBy)> {
    if let Some(dir) = std::env::var_os(LIBRARY_DIR_VAR).filter(|d| !d.is_empty()) {
        return vec![(PathBuf::from(dir), FoundBy::Environment)];
    }
    let mut dirs = Vec::new();
    if let Some(dir) = pkg_config_libdir() {
        dirs.push((dir, FoundBy::PkgConfig));
    }
    for dir in crate::library::SYSTEM_DIRS {
        dirs.push((PathBuf::from(dir), FoundBy::System));
    }
    let mut opt: Vec<PathBuf> = std::fs::read_dir("/opt")
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.path().join("lib/carla"))
                .collect()
        })
        .unwrap_or_default();
    opt.sort();
    dirs.extend(opt.into_iter().map(|dir| (dir, FoundBy::Opt)));
    for dir in extra {
        dirs.push((dir.clone(), FoundBy::Extra));
        dirs.push((dir.join("lib/carla"), FoundBy::Extra));
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|(dir, _)| {
        let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
        seen.insert(real)
    });
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_as_carla_spells_them() {
        let v = |major, minor, patch| Version {
            major,
            minor,
            patch,
        };
        assert_eq!(parse_version("2.5.9"), Some(v(2, 5, 9)));
        assert_eq!(parse_version("2.6.0-alpha1"), Some(v(2, 6, 0)));
        assert_eq!(parse_version("2.5"), Some(v(2, 5, 0)));
        assert_eq!(parse_version("2.x"), None);
        assert_eq!(parse_version("2.5.9.1"), None);
        assert!(v(2, 2, 0) < OLDEST_SUPPORTED && v(2, 5, 10) > v(2, 5, 9));
    }

    #[test]
    fn the_version_comes_from_the_strings_carla_compiles_in() {
        let bytes = b"junk\0<CARLA-PROJECT VERSION='2.5'>\n\0x2.5.1\0" as &[u8];
        assert_eq!(version_in(bytes, None).as_deref(), Some("2.5"));
        let mut full = bytes.to_vec();
        full.extend_from_slice(b"\x002.5.9\0more");
        assert_eq!(version_in(&full, None).as_deref(), Some("2.5.9"));
        let alpha = b"<CARLA-PROJECT VERSION='2.6'\0\x002.6.0-alpha1\0" as &[u8];
        assert_eq!(version_in(alpha, None).as_deref(), Some("2.6.0-alpha1"));
        assert_eq!(version_in(b"no carla here", None), None);
        // A library without the project header, read for the series another one named.
        assert_eq!(
            version_in(b"\x002.5.9\0", Some("2.5")).as_deref(),
            Some("2.5.9")
        );
    }

    fn install(version: &str, formats: &[Format]) -> CarlaInstall {
        CarlaInstall {
            library: PathBuf::from(format!("/c/{version}/{LIBRARY_NAME}")),
            found_by: FoundBy::System,
            version: parse_version(version),
            version_text: version.into(),
            formats: formats.to_vec(),
            unsupported: None,
        }
    }

    #[test]
    fn a_plugin_goes_to_the_first_carla_that_hosts_its_format() {
        use Format::*;
        let old = install("2.5.9", &[Lv2, Vst2, Vst3, Sf2, Sfz]);
        let new = install("2.6.0-alpha1", &[Lv2, Vst2, Vst3, Clap, Sfz]);
        let both = [old.clone(), new.clone()];
        assert_eq!(choose(&both, &[Lv2]).unwrap().version_text, "2.5.9");
        assert_eq!(choose(&both, &[Clap]).unwrap().version_text, "2.6.0-alpha1");
        // VST3 prefers 2.6, whose VST3 host passes controllers and state.
        assert_eq!(choose(&both, &[Vst3]).unwrap().version_text, "2.6.0-alpha1");
        assert_eq!(
            choose(std::slice::from_ref(&old), &[Vst3])
                .unwrap()
                .version_text,
            "2.5.9"
        );
        // A chain goes to one Carla that hosts all of it.
        assert_eq!(
            choose(&both, &[Clap, Lv2]).unwrap().version_text,
            "2.6.0-alpha1"
        );
        assert_eq!(choose(&both, &[]).unwrap().version_text, "2.5.9");
        let error = choose(&[old], &[Clap]).unwrap_err().to_string();
        assert!(error.contains("CLAP") && error.contains("2.5.9"), "{error}");
        let error = choose(&[], &[Lv2]).unwrap_err().to_string();
        assert!(error.contains("no Carla"), "{error}");
    }

    #[test]
    fn an_unsupported_carla_is_never_chosen() {
        let mut old = install("2.2.0", &[Format::Lv2]);
        old.unsupported = Some("too old".into());
        let error = choose(&[old], &[Format::Lv2]).unwrap_err().to_string();
        assert!(error.contains("unsupported, too old"), "{error}");
    }
}
