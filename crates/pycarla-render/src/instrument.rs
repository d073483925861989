//! What makes the sound: a Carla project, a SoundFont, an SFZ, an LV2 plugin, any JACK program,
//! or a synth already running on the server — and how each becomes a supervised host.

use std::path::{Path, PathBuf};

use proc_supervisor::{CarlaLoad, Host};

use crate::error::{Error, Result};

/// Where General MIDI SoundFonts live on Debian and friends, in order of preference.
const GM_SOUNDFONTS: &[&str] = &[
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/default.sf2",
];

/// The synth a render plays into.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Instrument {
    /// A Carla project (`.carxp`), run by Carla (on JACK: pycarla's own Carla host, or
    /// Carla's front end in patchbay mode where only Carla's executable is installed).
    CarlaProject(PathBuf),
    /// A SoundFont (`.sf2`/`.sf3`): through Carla when Carla is installed, else fluidsynth.
    SoundFont(PathBuf),
    /// An SFZ instrument, through Carla (its SFZ support).
    Sfz(PathBuf),
    /// An LV2 plugin by URI, hosted by jalv.
    Lv2(String),
    /// A chain of plugins hosted by Carla's library (offline engine): the instrument first,
    /// effects after it, each as `carla_lib::PluginSpec` reads it (an LV2 URI, a `.so`, a
    /// `.vst3`, an `.sf2`/`.sf3`, an `.sfz`; `TYPE:` prefix, `#LABEL` suffix).
    Plugins(Vec<String>),
    /// Any JACK program: the command line, its MIDI input glob and its audio outputs glob.
    Command {
        /// Program and arguments.
        command: Vec<String>,
        /// Glob of its MIDI input port.
        midi_port: String,
        /// Glob of its audio output ports.
        audio_ports: String,
    },
    /// A synth already running on the server: nothing is started.
    Running {
        /// Glob of its MIDI input port.
        midi_port: String,
        /// Glob of its audio output ports.
        audio_ports: String,
    },
}

impl Instrument {
    /// The default instrument: the General MIDI SoundFont found on the system.
    pub fn default_soundfont() -> Result<Instrument> {
        GM_SOUNDFONTS
            .iter()
            .map(Path::new)
            .find(|path| path.is_file())
            .map(|path| Instrument::SoundFont(path.to_path_buf()))
            .ok_or_else(|| Error::Missing {
                program: "a General MIDI SoundFont".into(),
                hint: "sudo apt-get install fluid-soundfont-gm (or choose a SoundFont)".into(),
            })
    }

    /// The supervised host for this instrument on the JACK engine (`None` for
    /// [`Instrument::Running`]). Carla's instruments play through pycarla's own Carla host
    /// ([`crate::jack_host`]) wherever Carla's library is installed, else through Carla's
    /// front end: `carla` is Carla's executable if installed. `scratch` holds generated
    /// projects. `settings` are set by pycarla's Carla host before it says it is ready; no
    /// other host takes them.
    pub fn host(
        &self,
        carla: Option<&Path>,
        scratch: &Path,
        settings: &[crate::settings::ParameterSetting],
    ) -> Result<Option<Host>> {
        let host = self.any_host(carla, scratch, settings)?;
        if !settings.is_empty() && host.as_ref().is_some_and(|h| !h.is_carla_engine()) {
            return Err(Error::Usage(format!(
                "plugin parameters are set on the JACK engine by pycarla's Carla host only, which cannot host {} here (it needs Carla's standalone library; the offline engine sets them too)",
                self.label()
            )));
        }
        Ok(host)
    }

    fn any_host(
        &self,
        carla: Option<&Path>,
        scratch: &Path,
        settings: &[crate::settings::ParameterSetting],
    ) -> Result<Option<Host>> {
        let carla_engine = |load: CarlaLoad| carla_engine(load, settings);
        let existing = |path: &Path| -> Result<PathBuf> {
            std::fs::canonicalize(path).map_err(|_| Error::NoInstrumentFile {
                path: path.to_path_buf(),
            })
        };
        let in_file = |prefix: &str, path: &Path| format!("{prefix}:{}", path.display());
        Ok(Some(match self {
            Instrument::CarlaProject(project) => {
                let project = existing(project)?;
                match carla_engine(CarlaLoad::Project(project.clone())) {
                    Ok(host) => host,
                    Err(_) => Host::carla(Some(require_carla(carla)?), project),
                }
            }
            Instrument::SoundFont(soundfont) => {
                let soundfont = existing(soundfont)?;
                let plugins = vec![in_file("sf2", &soundfont)];
                match (carla_engine(CarlaLoad::Plugins(plugins)), carla) {
                    (Ok(host), _) => host,
                    (Err(_), Some(carla)) => {
                        let project = write_project(scratch, "SF2", &soundfont)?;
                        Host::carla(Some(carla.to_path_buf()), project)
                    }
                    (Err(_), None) => {
                        require_program("fluidsynth", "sudo apt-get install fluidsynth")?;
                        Host::fluidsynth(soundfont)
                    }
                }
            }
            Instrument::Sfz(sfz) => {
                let sfz = existing(sfz)?;
                match carla_engine(CarlaLoad::Plugins(vec![in_file("sfz", &sfz)])) {
                    Ok(host) => host,
                    Err(_) => {
                        let project = write_project(scratch, "SFZ", &sfz)?;
                        Host::carla(Some(require_carla(carla)?), project)
                    }
                }
            }
            Instrument::Lv2(uri) => {
                require_program("jalv", "sudo apt-get install jalv")?;
                Host::jalv(uri.clone())
            }
            Instrument::Command {
                command,
                midi_port,
                audio_ports,
            } => {
                let (program, args) = command
                    .split_first()
                    .ok_or_else(|| Error::Usage("the synth's command line is empty".into()))?;
                Host::command(program, args, midi_port, audio_ports)
            }
            Instrument::Running { .. } => return Ok(None),
            Instrument::Plugins(specs) => carla_engine(CarlaLoad::Plugins(specs.clone()))?,
        }))
    }

    /// What the offline engine plays for this instrument; `None` for JACK programs.
    pub fn offline_chain(&self) -> Option<crate::offline::protocol::Chain> {
        use crate::offline::protocol::Chain;
        let path = |prefix: &str, path: &Path| format!("{prefix}:{}", path.display());
        Some(match self {
            Instrument::CarlaProject(project) => Chain::Project(project.clone()),
            Instrument::SoundFont(soundfont) => Chain::Plugins(vec![path("sf2", soundfont)]),
            Instrument::Sfz(sfz) => Chain::Plugins(vec![path("sfz", sfz)]),
            Instrument::Lv2(uri) => Chain::Plugins(vec![format!("lv2:{uri}")]),
            Instrument::Plugins(specs) => Chain::Plugins(specs.clone()),
            Instrument::Command { .. } | Instrument::Running { .. } => return None,
        })
    }
}

/// pycarla's own Carla host loading `load`; an error says what is missing (Carla's standalone
/// library or the host program).
fn carla_engine(load: CarlaLoad, settings: &[crate::settings::ParameterSetting]) -> Result<Host> {
    let formats = match &load {
        CarlaLoad::Plugins(specs) => crate::carla::formats_of(specs),
        CarlaLoad::Project(_) => Vec::new(),
    };
    let library = crate::jack_host::standalone_library_for(&formats)?;
    let command = crate::jack_host::jack_host_command()?;
    let mut args = command.args;
    args.extend(["--library".into(), library.into_os_string()]);
    for setting in settings {
        args.extend(["--set".into(), setting.to_string().into()]);
    }
    Ok(Host::carla_engine(command.program, args, load))
}

impl Instrument {
    /// The instrument as the user named it (a path, a URI, a plugin chain, a command), for
    /// messages, manifests and stem metadata.
    pub fn label(&self) -> String {
        match self {
            Instrument::CarlaProject(path)
            | Instrument::SoundFont(path)
            | Instrument::Sfz(path) => path.display().to_string(),
            Instrument::Lv2(uri) => uri.clone(),
            Instrument::Plugins(chain) => chain.join(" -> "),
            Instrument::Command { command, .. } => command.join(" "),
            Instrument::Running { midi_port, .. } => format!("running synth at {midi_port}"),
        }
    }
}

fn require_carla(carla: Option<&Path>) -> Result<PathBuf> {
    carla.map(Path::to_path_buf).ok_or_else(|| Error::Missing {
        program: "Carla".into(),
        hint: crate::carla::INSTALL_HINT.into(),
    })
}

fn require_program(program: &str, hint: &str) -> Result<()> {
    if find_on_path(program).is_some() {
        Ok(())
    } else {
        Err(Error::Missing {
            program: program.into(),
            hint: hint.into(),
        })
    }
}

/// The first executable called `name` on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    which::which(name).ok()
}

/// Carla's executable (its front end): installed by `pycarla download`, or on `PATH`.
pub fn find_carla() -> Option<PathBuf> {
    carla_fetch::find_installed(None)
        .or_else(|| find_on_path("Carla"))
        .or_else(|| find_on_path("carla"))
}

/// Writes a Carla patchbay project that plays one sample-based instrument, modelled on a
/// project saved by Carla 2.5.9 (tests/data/carla/fluidr3-gm-patchbay.carxp).
fn write_project(scratch: &Path, kind: &str, file: &Path) -> Result<PathBuf> {
    let project = scratch.join(format!("generated-{}.carxp", kind.to_lowercase()));
    let text = carla_project(kind, file);
    std::fs::write(&project, text).map_err(|source| Error::Io {
        path: project.clone(),
        source,
    })?;
    Ok(project)
}

/// The text of a one-plugin patchbay project (`kind` is Carla's plugin type: SF2 or SFZ).
pub fn carla_project(kind: &str, file: &Path) -> String {
    let label = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = xml_escape(&file.to_string_lossy());
    let label = xml_escape(&label);
    // As pycarla's own host loads a plugin (carla-lib's `play_as_the_file_says`): no control
    // channel, every message passed on, and a SoundFont at FluidSynth's own gain and
    // polyphony.
    let fluidsynth_defaults = if kind == "SF2" {
        format!(
            "
   <Volume>{}</Volume>
   <Parameter>
    <Index>11</Index>
    <Name>Polyphony</Name>
    <Value>{}</Value>
   </Parameter>",
            carla_lib::host_defaults::FLUIDSYNTH_DEFAULT_GAIN,
            carla_lib::host_defaults::FLUIDSYNTH_DEFAULT_POLYPHONY
        )
    } else {
        String::new()
    };
    let options = carla_lib::Format::Sf2.options();
    format!(
        "<?xml version='1.0' encoding='UTF-8'?>
<!DOCTYPE CARLA-PROJECT>
<CARLA-PROJECT VERSION='2.5'>
 <EngineSettings>
  <ForceStereo>false</ForceStereo>
  <PreferPluginBridges>false</PreferPluginBridges>
  <PreferUiBridges>true</PreferUiBridges>
  <UIsAlwaysOnTop>true</UIsAlwaysOnTop>
  <MaxParameters>200</MaxParameters>
  <UIBridgesTimeout>4000</UIBridgesTimeout>
 </EngineSettings>

 <Transport>
  <BeatsPerMinute>120</BeatsPerMinute>
 </Transport>

 <Plugin>
  <Info>
   <Type>{kind}</Type>
   <Name>Instrument</Name>
   <Filename>{file}</Filename>
   <Label>{label}</Label>
  </Info>

  <Data>
   <Active>Yes</Active>
   <ControlChannel>N</ControlChannel>
   <Options>0x{options:x}</Options>{fluidsynth_defaults}
  </Data>
 </Plugin>

 <Patchbay>
  <Connection>
   <Source>Midi Input:Capture 1</Source>
   <Target>Instrument:events-in</Target>
  </Connection>
  <Connection>
   <Source>Instrument:out-left</Source>
   <Target>Audio Output:Left</Target>
  </Connection>
  <Connection>
   <Source>Instrument:out-right</Source>
   <Target>Audio Output:Right</Target>
  </Connection>
 </Patchbay>

 <ExternalPatchbay>
 </ExternalPatchbay>
</CARLA-PROJECT>
"
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_project_names_the_file_escaped_and_wires_the_patchbay() {
        let text = carla_project("SF2", Path::new("/sf/a&b.sf2"));
        assert!(text.contains("<Filename>/sf/a&amp;b.sf2</Filename>"));
        assert!(text.contains("<Type>SF2</Type>"));
        assert!(text.contains("<Target>Instrument:events-in</Target>"));
        assert!(text.contains("<Source>Instrument:out-right</Source>"));
    }

    #[test]
    fn missing_instrument_files_are_named() {
        let err = Instrument::SoundFont("/no/such.sf2".into())
            .host(None, Path::new("/tmp"), &[])
            .unwrap_err();
        assert!(err.to_string().contains("/no/such.sf2"), "{err}");
    }
}
