//! Stems: a MIDI file split into parts (by channel, track or General MIDI program), each part
//! rendered alone through its own instrument, their sum as the mix, and `metadata.json`
//! describing it all — the layout source-separation datasets (Slakh and friends) use.
//!
//! For `song.mid` the output is a directory `song/` holding `mix.<ext>`, one file per part that
//! plays notes, each part's own MIDI (`ch01.mid`: exactly the events it played, on the file's
//! timeline), the whole file as `mix.mid`, and `metadata.json` (with Slakh's per-stem
//! `program_num`, `midi_program_name`, `inst_class` and `is_drum`). Every stem has the mix's exact length, and the mix is the
//! sample-wise sum of the stems (before any normalisation). The directory is assembled under
//! `song.partial/` and renamed when complete, so a directory named `song/` is always whole.
//!
//! ```no_run
//! use pycarla_render::{Instrument, RenderOptions};
//! use pycarla_render::stems::{StemOptions, render_stems};
//! let options = RenderOptions::default();
//! let report = render_stems(
//!     &Instrument::default_soundfont()?,
//!     "song.mid".as_ref(),
//!     "out/song".as_ref(),
//!     &options,
//!     &StemOptions::new(smf::GroupBy::Program),
//! )?;
//! println!("{} stems of {} frames", report.stems.len(), report.frames);
//! # Ok::<(), pycarla_render::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use audio_io::{loudness, mixdown, reencode};
use serde::Serialize;
use smf::{Group, GroupBy, GroupKey, Timeline};

use crate::error::{Error, Result};
use crate::instrument::Instrument;
use crate::map::InstrumentMap;
use crate::render::{EngineKind, RenderOptions, RenderReport, Renderer, engine_for, partial_path};
use crate::settings::PluginControls;

/// How to split and whom to give each part.
#[derive(Clone, Debug)]
pub struct StemOptions {
    /// Channel, track or program.
    pub by: GroupBy,
    /// Parts rendered at once (offline engine; the JACK engine renders one at a time).
    pub jobs: usize,
    /// Which instrument plays which part; unmapped parts get the render's instrument.
    pub map: Option<InstrumentMap>,
    /// Chooses among a map rule's instruments.
    pub seed: u64,
}

impl StemOptions {
    /// Split `by`, one part at a time, the render's instrument for every part.
    pub fn new(by: GroupBy) -> StemOptions {
        StemOptions {
            by,
            jobs: 1,
            map: None,
            seed: 0,
        }
    }
}

/// What a stems render wrote.
#[derive(Clone, Debug, Serialize)]
pub struct StemsReport {
    /// The MIDI file.
    pub midi: PathBuf,
    /// The directory written.
    #[serde(skip)]
    pub dir: PathBuf,
    /// Sample rate of every file.
    pub sample_rate: u32,
    /// Frames of every file.
    pub frames: u64,
    /// Channels of every file.
    pub channels: usize,
    /// How the file was split: `channel`, `track` or `program`.
    pub split: &'static str,
    /// The format of every file (`f32`, `wav24`, `wav16`, `flac16`, `flac24`).
    pub format: &'static str,
    /// The mix's file name.
    pub mix: String,
    /// The whole MIDI file's copy beside the mix (`mix.mid`).
    pub mix_midi: String,
    /// The mix's gain in dB when normalised.
    pub mix_gain_db: Option<f64>,
    /// Samples at or beyond full scale in the mix's file.
    pub mix_clipped_samples: u64,
    /// The mix's peak in dBFS (`null` for silence).
    pub mix_peak_dbfs: Option<f64>,
    /// The loudness every file was normalised to, in LUFS.
    pub normalize_lufs: Option<f64>,
    /// The seed choices were drawn with (with a map).
    pub seed: Option<u64>,
    /// The instrument map used.
    pub map: Option<PathBuf>,
    /// The engine that rendered.
    pub engine: &'static str,
    /// One entry per part that plays notes.
    pub stems: Vec<Stem>,
    /// Wall-clock time of the whole render.
    #[serde(skip)]
    pub elapsed: Duration,
}

/// One part of a stems render.
#[derive(Clone, Debug, Serialize)]
pub struct Stem {
    /// Its file name in the directory.
    pub file: String,
    /// Its own Standard MIDI File beside it (`ch01.mid`): exactly the events it played, at the
    /// source file's ticks under its tempo map, so the times and the length are the file's.
    pub midi: String,
    /// The part: `ch01`, `track03`, `program032`, `drums`.
    pub group: String,
    /// The instrument that played it, as the user named it.
    pub instrument: String,
    /// Notes it starts.
    pub notes: usize,
    /// MIDI channels it plays on, 1-based.
    pub channels: Vec<u8>,
    /// General MIDI programs it plays with, 0-based (percussion excluded).
    pub programs: Vec<u8>,
    /// Tracks its notes come from, 0-based.
    pub tracks: Vec<usize>,
    /// Those tracks' names.
    pub track_names: Vec<String>,
    /// The line of the map rule that chose its instrument.
    pub map_rule_line: Option<usize>,
    /// Its gain in dB when normalised.
    pub gain_db: Option<f64>,
    /// Samples at or beyond full scale in its file.
    pub clipped_samples: u64,
    /// Its peak in dBFS (`null` for silence).
    pub peak_dbfs: Option<f64>,
    /// Note-ons of the part that made no sound (see `crate::check`).
    pub silent_note_ons: u64,
    /// What each plugin of its chain rendered with (the manifest's `params`).
    pub params: Vec<crate::settings::PluginParams>,
    /// Slakh's `program_num`: its lowest General MIDI program, 0-based (128 for drums).
    pub program_num: u8,
    /// Slakh's `midi_program_name`: that program's General MIDI name (`Drums` for drums).
    pub midi_program_name: String,
    /// Slakh's `inst_class`: the program's family in Slakh's table (`Drums` for drums).
    pub inst_class: String,
    /// Slakh's `is_drum`: it plays on the percussion channel alone.
    pub is_drum: bool,
}

/// Renders the stems and mix of `midi` into the directory `dir` (see the module docs).
pub fn render_stems(
    default: &Instrument,
    midi: &Path,
    dir: &Path,
    options: &RenderOptions,
    stems: &StemOptions,
) -> Result<StemsReport> {
    let started = Instant::now();
    let timeline = Timeline::from_path(midi)?;
    let groups = timeline.groups(stems.by);
    let parts: Vec<Part> = groups
        .into_iter()
        .map(|group| Part::new(group, &timeline, midi, default, stems))
        .collect();
    let staging = partial_path(dir);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|source| io(&staging, source))?;
    }
    std::fs::create_dir_all(&staging).map_err(|source| io(&staging, source))?;
    // Each part's own MIDI and the whole file's beside the audio: training data for
    // transcription and separation from the directory alone.
    for part in &parts {
        let path = staging.join(part.midi_file());
        std::fs::write(&path, part.group.timeline.to_smf()).map_err(|source| io(&path, source))?;
    }
    let mix_midi = staging.join(MIX_MIDI);
    std::fs::copy(midi, &mix_midi).map_err(|source| io(&mix_midi, source))?;

    // Every part renders to 32-bit float first: the mix is summed from exact samples, and
    // normalisation measures them.
    let float = options
        .clone()
        .format(audio_io::AudioFormat::Float32)
        .normalize(None);
    let jobs = match engine_for(default, options)? {
        EngineKind::Offline => stems.jobs.max(1),
        // libjack talks to one server per process: one render at a time.
        EngineKind::Jack => 1,
    };
    let renders: Vec<PartRender> = if parts.is_empty() {
        // Nothing plays a note: the mix alone, of the whole file.
        vec![PartRender {
            timeline: &timeline,
            instrument: default.clone(),
            controls: None,
            output: staging.join("mix.f32.wav"),
        }]
    } else {
        parts
            .iter()
            .map(|part| PartRender {
                timeline: &part.group.timeline,
                instrument: part.instrument.clone(),
                controls: part.controls.clone(),
                output: staging.join(format!("{}.f32.wav", part.name)),
            })
            .collect()
    };
    let input = midi
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let reports = render_all(&renders, &float, jobs, &input)?;
    let frames = reports.iter().map(|r| r.frames).max().unwrap_or(0);
    let channels = reports.iter().map(|r| r.channels).max().unwrap_or(2);
    let engine = reports.first().map_or(EngineKind::Offline, |r| r.engine);

    let format = options.format;
    let extension = format.extension();
    let floats: Vec<PathBuf> = renders.iter().map(|r| r.output.clone()).collect();
    let mix_float = staging.join("mix.f32.wav");
    let mixed = if parts.is_empty() {
        audio_io::Recording::default()
    } else {
        mixdown::mix(&floats, &mix_float, channels, frames)?
    };
    let shapes: Vec<(u64, usize)> = reports.iter().map(|r| (r.frames, r.channels)).collect();
    // What each file finally holds: the render's (or the mix's) own figures, or the second
    // pass's when it re-encodes.
    let finish_one = |float: &Path,
                      name: &str,
                      shape: (u64, usize),
                      rendered: Written|
     -> Result<(Option<f64>, Written)> {
        let gain = options
            .normalize
            .map(|target| loudness::gain_to(float, target))
            .transpose()?;
        let path = staging.join(format!("{name}.{extension}"));
        if gain.is_none() && format == audio_io::AudioFormat::Float32 && shape == (frames, channels)
        {
            // Already what was asked for: no second pass.
            std::fs::rename(float, &path).map_err(|source| io(&path, source))?;
            return Ok((None, rendered));
        }
        let written =
            reencode::write_as(float, &path, format, gain.unwrap_or(0.0), channels, frames)?;
        std::fs::remove_file(float).map_err(|source| io(float, source))?;
        Ok((gain, Written::of(&written)))
    };
    let mut stem_entries = Vec::new();
    for (((part, float), shape), report) in parts.iter().zip(&floats).zip(&shapes).zip(&reports) {
        let (gain_db, written) = finish_one(float, &part.name, *shape, Written::of_report(report))?;
        written.warn_if_clipped(format, &part.name);
        stem_entries.push(part.entry(&timeline, extension, gain_db, written, report));
    }
    let (mix_gain_db, mix_written) =
        finish_one(&mix_float, "mix", (frames, channels), Written::of(&mixed))?;
    mix_written.warn_if_clipped(format, "mix");

    let report = StemsReport {
        midi: midi.to_path_buf(),
        dir: dir.to_path_buf(),
        sample_rate: options.sample_rate,
        frames,
        channels,
        split: match stems.by {
            GroupBy::Channel => "channel",
            GroupBy::Track => "track",
            GroupBy::Program => "program",
        },
        format: format.name(),
        mix: format!("mix.{extension}"),
        mix_midi: MIX_MIDI.to_string(),
        mix_gain_db,
        mix_clipped_samples: mix_written.clipped,
        mix_peak_dbfs: mix_written.peak_dbfs(),
        normalize_lufs: options.normalize,
        seed: stems.map.as_ref().map(|_| stems.seed),
        map: stems.map.as_ref().map(|map| map.path().to_path_buf()),
        engine: engine.name(),
        stems: stem_entries,
        elapsed: Duration::ZERO,
    };
    let metadata = staging.join("metadata.json");
    let json = serde_json::to_string_pretty(&report).expect("plain data serialises");
    std::fs::write(&metadata, json + "\n").map_err(|source| io(&metadata, source))?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|source| io(dir, source))?;
    }
    std::fs::rename(&staging, dir).map_err(|source| io(dir, source))?;
    Ok(StemsReport {
        elapsed: started.elapsed(),
        ..report
    })
}

/// The copy of the whole MIDI file beside the mix.
const MIX_MIDI: &str = "mix.mid";

/// One part with its file name and instrument.
struct Part {
    group: Group,
    name: String,
    instrument: Instrument,
    /// The plugin settings of the map rule that chose the instrument; `None`: the render's.
    controls: Option<PluginControls>,
    rule_line: Option<usize>,
}

impl Part {
    /// The name of the part's own MIDI file.
    fn midi_file(&self) -> String {
        format!("{}.mid", self.name)
    }

    fn new(
        group: Group,
        timeline: &Timeline,
        midi: &Path,
        default: &Instrument,
        stems: &StemOptions,
    ) -> Part {
        let mut name = group.key.label();
        if let GroupKey::Track(track) = group.key
            && let Some(track_name) = timeline.track_name(track).map(file_safe)
            && !track_name.is_empty()
        {
            name = format!("{name}-{track_name}");
        }
        let chosen = stems
            .map
            .as_ref()
            .and_then(|map| map.choose(&group, timeline, midi, stems.seed));
        let rule_line = stems
            .map
            .as_ref()
            .and_then(|map| map.rule_line(&group, timeline));
        let (instrument, controls) = match chosen {
            Some(choice) => (choice.instrument, Some(choice.controls)),
            None => (default.clone(), None),
        };
        Part {
            name,
            instrument,
            controls,
            rule_line,
            group,
        }
    }

    fn entry(
        &self,
        timeline: &Timeline,
        extension: &str,
        gain_db: Option<f64>,
        written: Written,
        report: &RenderReport,
    ) -> Stem {
        use smf::general_midi;
        let drums_only = self.group.channels.iter().all(|c| *c == smf::DRUM_CHANNEL);
        let is_drum = self.group.key == GroupKey::Drums || drums_only;
        let program_num = if is_drum {
            general_midi::DRUM_PROGRAM
        } else {
            self.group.programs.iter().copied().next().unwrap_or(0)
        };
        let (midi_program_name, inst_class) = if is_drum {
            (general_midi::DRUM_CLASS, general_midi::DRUM_CLASS)
        } else {
            (
                general_midi::program_name(program_num).unwrap_or_default(),
                general_midi::instrument_class(program_num).unwrap_or_default(),
            )
        };
        Stem {
            program_num,
            midi_program_name: midi_program_name.to_string(),
            inst_class: inst_class.to_string(),
            is_drum,
            file: format!("{}.{extension}", self.name),
            midi: self.midi_file(),
            group: self.group.key.label(),
            instrument: self.instrument.label(),
            notes: self.group.notes,
            channels: self.group.channels.iter().map(|c| c + 1).collect(),
            programs: self.group.programs.iter().copied().collect(),
            tracks: self.group.tracks.iter().copied().collect(),
            track_names: self
                .group
                .tracks
                .iter()
                .filter_map(|t| timeline.track_name(*t).map(str::to_string))
                .collect(),
            map_rule_line: self.rule_line,
            gain_db,
            clipped_samples: written.clipped,
            peak_dbfs: written.peak_dbfs(),
            silent_note_ons: report.silent_note_ons,
            params: report.params.clone(),
        }
    }
}

/// What a file finally holds: its samples at or beyond full scale and its peak.
#[derive(Clone, Copy, Debug)]
struct Written {
    clipped: u64,
    peak: f32,
}

impl Written {
    fn of(recording: &audio_io::Recording) -> Written {
        Written {
            clipped: recording.clipped,
            peak: recording.peak,
        }
    }

    fn of_report(report: &RenderReport) -> Written {
        Written {
            clipped: report.clipped_samples,
            peak: report.peak,
        }
    }

    fn peak_dbfs(self) -> Option<f64> {
        crate::render::dbfs(self.peak)
    }

    fn warn_if_clipped(self, format: audio_io::AudioFormat, file: &str) {
        if self.clipped > 0 && format.clips() {
            tracing::warn!(
                file,
                clipped_samples = self.clipped,
                "samples clipped at full scale in the file written (lower the gain, or write 32-bit float, which keeps them)"
            );
        }
    }
}

/// One render of a stems job: a part (or the whole file) through its instrument.
struct PartRender<'a> {
    timeline: &'a Timeline,
    instrument: Instrument,
    /// Its map rule's plugin settings; `None`: the render's.
    controls: Option<PluginControls>,
    output: PathBuf,
}

/// Renders each part with `jobs` threads, each keeping one renderer per instrument and
/// settings it meets. The first error wins; renders stop being started then.
fn render_all(
    renders: &[PartRender<'_>],
    options: &RenderOptions,
    jobs: usize,
    input: &str,
) -> Result<Vec<RenderReport>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<RenderReport>>>> =
        Mutex::new((0..renders.len()).map(|_| None).collect());
    let failed = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(renders.len()) {
            scope.spawn(|| {
                let mut renderers: Vec<(Instrument, PluginControls, Renderer)> = Vec::new();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= renders.len() || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let PartRender {
                        timeline,
                        instrument,
                        controls,
                        output,
                    } = &renders[index];
                    let controls = controls.as_ref().unwrap_or(&options.controls);
                    let result = renderer_for(&mut renderers, (instrument, controls), options)
                        .and_then(|renderer| {
                            // The seed rule: this file, this part (the stem's file name).
                            renderer.set_draw_key(input);
                            renderer.set_draw_part(
                                output
                                    .file_name()
                                    .map(|name| name.to_string_lossy().replace(".f32.wav", ""))
                                    .unwrap_or_default(),
                            );
                            renderer.render_timeline(timeline, output, None::<&Path>, |_, _| {})
                        });
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    results.lock().unwrap_or_else(|p| p.into_inner())[index] = Some(result);
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut reports = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Some(result) => reports.push(result?),
            None => {
                return Err(Error::Usage(
                    "a part was not rendered because another failed".into(),
                ));
            }
        }
    }
    Ok(reports)
}

fn renderer_for<'a>(
    renderers: &'a mut Vec<(Instrument, PluginControls, Renderer)>,
    (instrument, controls): (&Instrument, &PluginControls),
    options: &RenderOptions,
) -> Result<&'a mut Renderer> {
    let found = renderers
        .iter()
        .position(|(i, c, _)| i == instrument && c == controls);
    let index = match found {
        Some(index) => index,
        None => {
            let options = options.clone().controls(controls.clone());
            renderers.push((
                instrument.clone(),
                controls.clone(),
                Renderer::new(instrument.clone(), options)?,
            ));
            renderers.len() - 1
        }
    };
    Ok(&mut renderers[index].2)
}

/// A track name as a file-name part: letters, digits, `-` and `_` kept, runs of anything else
/// as one `_`, at most 40 characters.
fn file_safe(name: &str) -> String {
    let mut safe = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            safe.push(c);
        } else if !safe.ends_with('_') {
            safe.push('_');
        }
    }
    safe.trim_matches('_').chars().take(40).collect()
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn track_names_become_safe_file_name_parts() {
        assert_eq!(super::file_safe("Bass / Fingered!"), "Bass_Fingered");
        assert_eq!(super::file_safe("  "), "");
        assert_eq!(super::file_safe("../x"), "x");
    }
}
