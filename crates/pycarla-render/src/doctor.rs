//! What this machine has for rendering, and how to get what it lacks: every Carla with its
//! version and formats, jackd, fluidsynth, jalv, the General MIDI SoundFont, and the engine
//! `EngineChoice::Auto` picks for the default instrument.

use std::path::PathBuf;

use serde::Serialize;

use crate::instrument::{Instrument, find_on_path};
use crate::render::{RenderOptions, engine_for};

/// The report (`pycarla doctor --json` prints it as JSON).
#[derive(Clone, Debug, Serialize)]
pub struct Doctor {
    /// Every Carla found, in the order preferred.
    pub carla: Vec<CarlaFound>,
    /// `jackd`, if on `PATH`.
    pub jackd: Option<PathBuf>,
    /// `fluidsynth`, if on `PATH`.
    pub fluidsynth: Option<PathBuf>,
    /// `jalv`, if on `PATH`.
    pub jalv: Option<PathBuf>,
    /// The General MIDI SoundFont the default instrument plays.
    pub soundfont: Option<PathBuf>,
    /// `offline` or `jack`: what renders the default instrument; `null` when nothing can.
    pub engine: Option<String>,
    /// Why no engine can render the default instrument, when none can.
    pub engine_error: Option<String>,
    /// One entry per missing piece, with the package that brings it.
    pub missing: Vec<Fix>,
}

/// One Carla on the machine.
#[derive(Clone, Debug, Serialize)]
pub struct CarlaFound {
    /// Its `libcarla_host-plugin.so`.
    pub path: PathBuf,
    /// Its version (`2.5.9`), read from the library.
    pub version: String,
    /// The formats it hosts (`lv2`, `vst2`, `vst3`, `clap`, `ladspa`, `dssi`, `sf2`, `sfz`).
    pub formats: Vec<String>,
    /// How it was found (`environment`, `pkg-config`, `system`, `opt`, `download`).
    pub found_by: String,
    /// Why it cannot be used, when it cannot.
    pub unsupported: Option<String>,
}

/// A missing piece and the package that brings it, per distribution.
#[derive(Clone, Debug, Serialize)]
pub struct Fix {
    /// What is missing.
    pub missing: String,
    /// What it is needed for.
    pub needed_for: String,
    /// Debian and Ubuntu (`None`: not packaged).
    pub debian: Option<String>,
    /// Arch Linux.
    pub arch: Option<String>,
    /// Fedora.
    pub fedora: Option<String>,
    /// Where it comes from when no package has it.
    pub otherwise: Option<String>,
}

impl Fix {
    fn package(missing: &str, needed_for: &str, debian: &str, arch: &str, fedora: &str) -> Fix {
        Fix {
            missing: missing.into(),
            needed_for: needed_for.into(),
            debian: Some(debian.into()),
            arch: Some(arch.into()),
            fedora: Some(fedora.into()),
            otherwise: None,
        }
    }

    /// One line: how to install it.
    pub fn line(&self) -> String {
        let mut ways = Vec::new();
        if let Some(package) = &self.debian {
            ways.push(format!("apt-get install {package}"));
        }
        if let Some(package) = &self.arch {
            ways.push(format!("pacman -S {package}"));
        }
        if let Some(package) = &self.fedora {
            ways.push(format!("dnf install {package}"));
        }
        if let Some(otherwise) = &self.otherwise {
            ways.push(otherwise.clone());
        }
        format!(
            "missing {} (for {}): {}",
            self.missing,
            self.needed_for,
            ways.join(" | ")
        )
    }
}

/// Looks at this machine.
pub fn doctor() -> Doctor {
    let carla: Vec<CarlaFound> = crate::carla::installs()
        .into_iter()
        .map(|install| CarlaFound {
            path: install.library.clone(),
            version: install.version_text.clone(),
            formats: install
                .formats
                .iter()
                .map(|format| format.to_string().to_ascii_lowercase())
                .collect(),
            found_by: install.found_by.name().into(),
            unsupported: install.unsupported.clone(),
        })
        .collect();
    let default = Instrument::default_soundfont();
    let soundfont = match &default {
        Ok(Instrument::SoundFont(path)) => Some(path.clone()),
        _ => None,
    };
    let (engine, engine_error) =
        match default.and_then(|instrument| engine_for(&instrument, &RenderOptions::default())) {
            Ok(kind) => (Some(kind.name().to_string()), None),
            Err(error) => (None, Some(error.to_string())),
        };
    let jackd = find_on_path("jackd");
    let fluidsynth = find_on_path("fluidsynth");
    let jalv = find_on_path("jalv");
    let mut missing = Vec::new();
    if carla.iter().all(|found| found.unsupported.is_some()) {
        missing.push(Fix {
            missing: "Carla".into(),
            needed_for: "the offline engine and every plugin format".into(),
            debian: Some("carla (Ubuntu universe; Debian has none)".into()),
            arch: Some("carla".into()),
            fedora: Some("Carla".into()),
            otherwise: Some("build Carla from its source as its INSTALL.md says".into()),
        });
    } else if !carla
        .iter()
        .any(|found| found.formats.iter().any(|f| f == "clap"))
    {
        missing.push(Fix {
            missing: "a Carla 2.6 or later".into(),
            needed_for: "CLAP plugins, and VST3 with controllers and state".into(),
            debian: None,
            arch: None,
            fedora: None,
            otherwise: Some(
                "build Carla's main branch under its own prefix (e.g. /opt/carla-git) as its INSTALL.md says".into(),
            ),
        });
    }
    let packaged = [
        (
            &jackd,
            Fix::package(
                "jackd",
                "the JACK engine",
                "jackd2",
                "jack2",
                "jack-audio-connection-kit",
            ),
        ),
        (
            &fluidsynth,
            Fix::package(
                "fluidsynth",
                "SoundFonts on JACK without Carla, and the reference renderer",
                "fluidsynth",
                "fluidsynth",
                "fluidsynth",
            ),
        ),
        (
            &jalv,
            Fix::package(
                "jalv",
                "LV2 plugins on JACK without Carla",
                "jalv",
                "jalv",
                "jalv",
            ),
        ),
        (
            &soundfont,
            Fix::package(
                "a General MIDI SoundFont",
                "the default instrument",
                "fluid-soundfont-gm",
                "soundfont-fluid",
                "fluid-soundfont-gm",
            ),
        ),
    ];
    missing.extend(
        packaged
            .into_iter()
            .filter(|(found, _)| found.is_none())
            .map(|(_, fix)| fix),
    );
    Doctor {
        carla,
        jackd,
        fluidsynth,
        jalv,
        soundfont,
        engine,
        engine_error,
        missing,
    }
}

impl Doctor {
    /// The report for a terminal, a line per item.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.carla.is_empty() {
            lines.push("carla: none found".to_string());
        }
        for found in &self.carla {
            let state = match &found.unsupported {
                Some(why) => format!("unsupported: {why}"),
                None => found.formats.join(" "),
            };
            lines.push(format!(
                "carla: {} {} [{}] ({})",
                found.version,
                found.path.display(),
                state,
                found.found_by
            ));
        }
        let path = |path: &Option<PathBuf>| {
            path.as_ref()
                .map_or("not found".to_string(), |p| p.display().to_string())
        };
        lines.push(format!("jackd: {}", path(&self.jackd)));
        lines.push(format!("fluidsynth: {}", path(&self.fluidsynth)));
        lines.push(format!("jalv: {}", path(&self.jalv)));
        lines.push(format!("soundfont: {}", path(&self.soundfont)));
        lines.push(match (&self.engine, &self.engine_error) {
            (Some(engine), _) => format!("engine for the default instrument: {engine}"),
            (None, Some(error)) => format!("engine for the default instrument: none ({error})"),
            (None, None) => "engine for the default instrument: none".to_string(),
        });
        lines.extend(self.missing.iter().map(Fix::line));
        lines
    }
}
