//! What a plugin is: a description given by a user (`--plugin SPEC`) resolved into what
//! `carla_add_plugin` takes.

use std::ffi::{CStr, c_char, c_ulong};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::ffi;

/// A plugin format Carla hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// An LV2 plugin, named by its URI.
    Lv2,
    /// A VST2 plugin (`.so`).
    Vst2,
    /// A VST3 bundle (`.vst3`).
    Vst3,
    /// A LADSPA library (`.so`) and a label in it.
    Ladspa,
    /// A DSSI library (`.so`) and a label in it.
    Dssi,
    /// A SoundFont (`.sf2`, `.sf3`), played by Carla's FluidSynth.
    Sf2,
    /// An SFZ instrument, played by Carla's sfizz.
    Sfz,
    /// A CLAP plugin (`.clap`; Carla 2.6 or later), with its plugin id as the label.
    Clap,
}

impl Format {
    /// Every format, in the order listings show them.
    pub const ALL: [Format; 8] = [
        Format::Lv2,
        Format::Vst2,
        Format::Vst3,
        Format::Clap,
        Format::Ladspa,
        Format::Dssi,
        Format::Sf2,
        Format::Sfz,
    ];

    /// The `TYPE:` prefix names.
    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name.to_ascii_lowercase().as_str() {
            "lv2" => Format::Lv2,
            "vst" | "vst2" => Format::Vst2,
            "vst3" => Format::Vst3,
            "ladspa" => Format::Ladspa,
            "dssi" => Format::Dssi,
            "sf2" | "sf3" => Format::Sf2,
            "sfz" => Format::Sfz,
            "clap" => Format::Clap,
            _ => return None,
        })
    }

    /// The format of Carla's `PluginType` (`None` for Carla's internal plugins and the rest).
    pub fn from_carla_type(carla_type: i32) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|format| format.carla_type() == carla_type)
    }

    /// The lowercase name `pycarla plugin --json` and `doctor` give it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Lv2 => "lv2",
            Format::Vst2 => "vst2",
            Format::Vst3 => "vst3",
            Format::Clap => "clap",
            Format::Ladspa => "ladspa",
            Format::Dssi => "dssi",
            Format::Sf2 => "sf2",
            Format::Sfz => "sfz",
        }
    }

    fn carla_type(self) -> i32 {
        match self {
            Format::Lv2 => ffi::PLUGIN_LV2,
            Format::Vst2 => ffi::PLUGIN_VST2,
            Format::Vst3 => ffi::PLUGIN_VST3,
            Format::Ladspa => ffi::PLUGIN_LADSPA,
            Format::Dssi => ffi::PLUGIN_DSSI,
            Format::Sf2 => ffi::PLUGIN_SF2,
            Format::Sfz => ffi::PLUGIN_SFZ,
            Format::Clap => ffi::PLUGIN_CLAP,
        }
    }

    /// Carla's plugin options: every MIDI message reaches the plugin. SoundFonts select their
    /// presets through Carla's program map; other plugins receive program changes themselves.
    pub fn options(self) -> u32 {
        let programs = match self {
            Format::Sf2 | Format::Sfz => ffi::PLUGIN_OPTION_MAP_PROGRAM_CHANGES,
            _ => ffi::PLUGIN_OPTION_SEND_PROGRAM_CHANGES,
        };
        programs
            | ffi::PLUGIN_OPTION_SEND_CONTROL_CHANGES
            | ffi::PLUGIN_OPTION_SEND_CHANNEL_PRESSURE
            | ffi::PLUGIN_OPTION_SEND_NOTE_AFTERTOUCH
            | ffi::PLUGIN_OPTION_SEND_PITCHBEND
            | ffi::PLUGIN_OPTION_SEND_ALL_SOUND_OFF
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Lv2 => "LV2",
            Format::Vst2 => "VST2",
            Format::Vst3 => "VST3",
            Format::Ladspa => "LADSPA",
            Format::Dssi => "DSSI",
            Format::Sf2 => "SF2",
            Format::Sfz => "SFZ",
            Format::Clap => "CLAP",
        })
    }
}

/// A plugin as a user names it: `[TYPE:]URI|PATH[#LABEL]`.
///
/// An LV2 URI (`scheme://…` or `urn:…`), or a path: `.sf2`/`.sf3`, `.sfz`, a `.vst3` bundle,
/// or a `.so` whose format (VST2, DSSI or LADSPA) is read from the symbols it exports. A
/// library holding several plugins takes `#LABEL` (default: its first plugin).
///
/// ```
/// use carla_lib::{Format, PluginSpec};
/// let spec = PluginSpec::parse("http://distrho.sf.net/plugins/Kars").unwrap();
/// assert_eq!(spec.format, Some(Format::Lv2));
/// let spec = PluginSpec::parse("ladspa:/usr/lib/ladspa/MVerb-ladspa.so#MVerb").unwrap();
/// assert_eq!((spec.format, spec.label.as_deref()), (Some(Format::Ladspa), Some("MVerb")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginSpec {
    /// The description as given.
    pub spec: String,
    /// The format, when the description says it (prefix or extension); `None` for a `.so`
    /// until [`resolve`](PluginSpec::resolve) looks inside.
    pub format: Option<Format>,
    /// The URI or path.
    pub target: String,
    /// The label after `#`.
    pub label: Option<String>,
}

impl PluginSpec {
    /// Parses a description; the file is not looked at yet.
    pub fn parse(spec: &str) -> Result<PluginSpec> {
        let bad = |reason: &str| Error::BadSpec {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let (prefix, rest) = match spec.split_once(':') {
            Some((name, rest)) if Format::from_name(name).is_some() => {
                (Format::from_name(name), rest)
            }
            _ => (None, spec),
        };
        if rest.is_empty() {
            return Err(bad("empty plugin description"));
        }
        // An LV2 bundle directory, `DIR.lv2` or `DIR.lv2#URI` (the URI, which may hold `#`
        // itself, is everything after the first `#` that follows `.lv2`).
        if let Some(end) = rest.find(".lv2").map(|at| at + ".lv2".len())
            && (rest.len() == end || rest[end..].starts_with('#') || rest[end..] == *"/")
            && !rest[..end].contains("://")
        {
            if prefix.is_some_and(|f| f != Format::Lv2) {
                return Err(bad("an .lv2 bundle holds LV2 plugins"));
            }
            let label = rest[end..]
                .strip_prefix('#')
                .map(str::to_string)
                .filter(|uri| !uri.is_empty());
            if rest[end..].starts_with('#') && label.is_none() {
                return Err(bad("empty URI after `#`"));
            }
            return Ok(PluginSpec {
                spec: spec.to_string(),
                format: Some(Format::Lv2),
                target: rest[..end].to_string(),
                label,
            });
        }
        let is_uri = rest.contains("://") || rest.starts_with("urn:");
        if is_uri || prefix == Some(Format::Lv2) {
            if prefix.is_some_and(|f| f != Format::Lv2) {
                return Err(bad("a URI names an LV2 plugin"));
            }
            return Ok(PluginSpec {
                spec: spec.to_string(),
                format: Some(Format::Lv2),
                target: rest.to_string(),
                label: None,
            });
        }
        // `#LABEL`, unless the whole text is an existing path with a `#` in its name.
        let (target, label) = match rest.rsplit_once('#') {
            Some((path, label)) if !Path::new(rest).exists() => {
                if label.is_empty() {
                    return Err(bad("empty label after `#`"));
                }
                (path, Some(label.to_string()))
            }
            _ => (rest, None),
        };
        let extension = Path::new(target)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let by_extension = match extension.as_deref() {
            Some("sf2" | "sf3") => Some(Format::Sf2),
            Some("sfz") => Some(Format::Sfz),
            Some("vst3") => Some(Format::Vst3),
            Some("clap") => Some(Format::Clap),
            Some("so") => None,
            _ if prefix.is_some() => None,
            _ => {
                return Err(bad(
                    "not an LV2 URI or .lv2 bundle, .so (VST2, LADSPA, DSSI), .vst3, .clap, .sf2/.sf3 or .sfz; a TYPE: prefix (lv2, vst2, vst3, clap, ladspa, dssi, sf2, sfz) names the format",
                ));
            }
        };
        Ok(PluginSpec {
            spec: spec.to_string(),
            format: prefix.or(by_extension),
            target: target.to_string(),
            label,
        })
    }

    /// Checks the file and settles the format and label: a `.so` is opened to see whether it
    /// is a VST2, DSSI or LADSPA library, and LADSPA/DSSI labels are checked against the ones
    /// it holds.
    ///
    /// Opening a library runs its constructors: call this where a crashing plugin cannot take
    /// the caller down (pycarla-rs's worker process).
    pub fn resolve(&self) -> Result<Plugin> {
        let bad = |reason: String| Error::BadSpec {
            spec: self.spec.clone(),
            reason,
        };
        if self.format == Some(Format::Lv2) {
            let uri = if self.target.ends_with(".lv2") {
                self.bundle_uri().map_err(bad)?
            } else {
                self.target.clone()
            };
            return Ok(Plugin {
                format: Format::Lv2,
                filename: PathBuf::new(),
                label: uri,
                name: self.spec.clone(),
            });
        }
        let path = PathBuf::from(&self.target);
        if !path.exists() {
            return Err(bad(format!("{} does not exist", path.display())));
        }
        let path = path.canonicalize().unwrap_or(path);
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let format = match self.format {
            Some(format) => format,
            None => detect_library(&path).map_err(bad)?,
        };
        let label = match format {
            Format::Ladspa | Format::Dssi => {
                let available = library_labels(&path, format).map_err(bad)?;
                match &self.label {
                    Some(label) if available.contains(label) => label.clone(),
                    Some(label) => {
                        return Err(Error::LabelNotFound {
                            path,
                            label: label.clone(),
                            available,
                        });
                    }
                    None => available.first().cloned().ok_or_else(|| {
                        bad(format!("{} holds no {format} plugin", path.display()))
                    })?,
                }
            }
            // Carla's CLAP host loads the file's first plugin for an empty id.
            Format::Clap => self.label.clone().unwrap_or_default(),
            _ => self.label.clone().unwrap_or(stem),
        };
        Ok(Plugin {
            format,
            filename: path,
            label,
            name: self.spec.clone(),
        })
    }
}

impl PluginSpec {
    /// The URI of the plugin an LV2 bundle directory holds: the one after `#`, which the
    /// bundle must declare, or its only plugin.
    fn bundle_uri(&self) -> std::result::Result<String, String> {
        let bundle = Path::new(&self.target);
        let declared = crate::lv2_bundle::plugin_uris(bundle)
            .map_err(|e| format!("cannot read {}/manifest.ttl: {e}", bundle.display()))?;
        match (&self.label, declared.as_slice()) {
            (Some(uri), _) if declared.contains(uri) => Ok(uri.clone()),
            (Some(uri), _) => Err(format!(
                "{} declares no plugin {uri} (it declares: {})",
                bundle.display(),
                declared.join(", ")
            )),
            (None, [only]) => Ok(only.clone()),
            (None, []) => Err(format!("{} declares no plugin", bundle.display())),
            (None, many) => Err(format!(
                "{} holds {} plugins: name one as {}#URI (one of: {})",
                bundle.display(),
                many.len(),
                bundle.display(),
                many.join(", ")
            )),
        }
    }
}

/// A plugin ready for `carla_add_plugin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plugin {
    /// Its format.
    pub format: Format,
    /// The file (empty for LV2).
    pub filename: PathBuf,
    /// The label (the URI for LV2).
    pub label: String,
    /// How the user named it, for messages.
    pub name: String,
}

impl Plugin {
    pub(crate) fn carla_type(&self) -> i32 {
        self.format.carla_type()
    }
}

/// VST2, DSSI or LADSPA, from the entry points a `.so` exports.
fn detect_library(path: &Path) -> std::result::Result<Format, String> {
    let library = open_plugin_library(path)?;
    let has = |symbol: &[u8]| {
        // SAFETY: only the symbol's presence is checked; nothing is called.
        unsafe { library.get::<*const ()>(symbol) }.is_ok()
    };
    let format = if has(b"VSTPluginMain\0") {
        Ok(Format::Vst2)
    } else if has(b"dssi_descriptor\0") {
        Ok(Format::Dssi)
    } else if has(b"ladspa_descriptor\0") {
        Ok(Format::Ladspa)
    } else if has(b"main\0") {
        // The old name of VST2's entry point, still the only one of many Linux VST2s.
        Ok(Format::Vst2)
    } else if has(b"lv2_descriptor\0") {
        Err(format!(
            "{} is an LV2 plugin's library: name the plugin by its URI",
            path.display()
        ))
    } else {
        Err(format!(
            "{} exports no VST2, DSSI or LADSPA entry point",
            path.display()
        ))
    };
    keep_loaded(library);
    format
}

/// `LADSPA_Descriptor`'s first two fields.
#[repr(C)]
struct LadspaHead {
    unique_id: c_ulong,
    label: *const c_char,
}

/// `DSSI_Descriptor`'s first two fields.
#[repr(C)]
struct DssiHead {
    api_version: i32,
    ladspa: *const LadspaHead,
}

/// The labels of the plugins a LADSPA or DSSI library holds, in its order.
fn library_labels(path: &Path, format: Format) -> std::result::Result<Vec<String>, String> {
    let library = open_plugin_library(path)?;
    let mut labels = Vec::new();
    // SAFETY: the entry points have the signatures of ladspa.h / dssi.h; descriptors are read
    // up to the label only, and indices are walked until the library returns NULL.
    unsafe {
        let read = |head: *const LadspaHead| -> Option<String> {
            if head.is_null() || (*head).label.is_null() {
                return None;
            }
            Some(CStr::from_ptr((*head).label).to_string_lossy().into_owned())
        };
        if format == Format::Dssi {
            let entry = library
                .get::<unsafe extern "C" fn(c_ulong) -> *const DssiHead>(b"dssi_descriptor\0")
                .map_err(|e| format!("{} is not a DSSI library: {e}", path.display()))?;
            for index in 0..1024 {
                let descriptor = entry(index);
                if descriptor.is_null() {
                    break;
                }
                labels.extend(read((*descriptor).ladspa));
            }
        } else {
            let entry = library
                .get::<unsafe extern "C" fn(c_ulong) -> *const LadspaHead>(b"ladspa_descriptor\0")
                .map_err(|e| format!("{} is not a LADSPA library: {e}", path.display()))?;
            for index in 0..1024 {
                match read(entry(index)) {
                    Some(label) => labels.push(label),
                    None => break,
                }
            }
        }
    }
    keep_loaded(library);
    Ok(labels)
}

fn open_plugin_library(path: &Path) -> std::result::Result<libloading::Library, String> {
    // SAFETY: loading a plugin library runs its constructors; callers isolate this (see
    // `PluginSpec::resolve`).
    unsafe { libloading::Library::new(path) }
        .map_err(|e| format!("cannot open {}: {e}", path.display()))
}

/// Plugin libraries are never unloaded: some register exit handlers or threads that outlive an
/// unload, and Carla opens the same file again right after.
fn keep_loaded(library: libloading::Library) {
    std::mem::forget(library);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lv2_bundles_name_their_plugin_by_the_uri_after_the_first_hash() {
        let bundle = PluginSpec::parse("/usr/lib/lv2/mda.lv2").unwrap();
        assert_eq!(
            (
                bundle.format,
                bundle.target.as_str(),
                bundle.label.as_deref()
            ),
            (Some(Format::Lv2), "/usr/lib/lv2/mda.lv2", None)
        );
        let one =
            PluginSpec::parse("/x/nodelay.lv2#http://gareus.org/oss/lv2/nodelay#micro").unwrap();
        assert_eq!(
            (one.target.as_str(), one.label.as_deref()),
            (
                "/x/nodelay.lv2",
                Some("http://gareus.org/oss/lv2/nodelay#micro")
            )
        );
        assert!(PluginSpec::parse("/x/a.lv2#").is_err());
        assert!(PluginSpec::parse("vst3:/x/a.lv2").is_err());
        // A URI is not a bundle, whatever it holds.
        let uri = PluginSpec::parse("http://x.org/a.lv2#b").unwrap();
        assert_eq!(uri.target, "http://x.org/a.lv2#b");
    }

    #[test]
    fn descriptions_name_their_format() {
        let lv2 = PluginSpec::parse("http://example.org/synth#voice").unwrap();
        assert_eq!(lv2.format, Some(Format::Lv2));
        assert_eq!(lv2.target, "http://example.org/synth#voice");
        assert_eq!(
            PluginSpec::parse("urn:zam:synth").unwrap().format,
            Some(Format::Lv2)
        );
        assert_eq!(
            PluginSpec::parse("font.SF3").unwrap().format,
            Some(Format::Sf2)
        );
        assert_eq!(
            PluginSpec::parse("a/b.sfz").unwrap().format,
            Some(Format::Sfz)
        );
        assert_eq!(
            PluginSpec::parse("x.vst3").unwrap().format,
            Some(Format::Vst3)
        );
        let so = PluginSpec::parse("/usr/lib/ladspa/x.so#Plate").unwrap();
        assert_eq!(so.format, None);
        assert_eq!(so.target, "/usr/lib/ladspa/x.so");
        assert_eq!(so.label.as_deref(), Some("Plate"));
        let typed = PluginSpec::parse("dssi:/opt/thing").unwrap();
        assert_eq!(typed.format, Some(Format::Dssi));
    }

    #[test]
    fn bad_descriptions_say_why() {
        for spec in ["", "lv2:", "song.mid", "x.so#", "vst2:http://a/b"] {
            assert!(
                matches!(PluginSpec::parse(spec), Err(Error::BadSpec { .. })),
                "{spec}"
            );
        }
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let error = PluginSpec::parse("/nowhere/x.sf2")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(error.to_string().contains("/nowhere/x.sf2 does not exist"));
    }
}
