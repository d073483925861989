//! The worker's side: one job through a fresh Carla engine, block by block, into the shared
//! audio sink.

use std::sync::Arc;
use std::time::{Duration, Instant};

use audio_io::{AudioWriter, Sink, StopOnSilence};
use carla_lib::{CarlaLibrary, Engine, EngineKind, PluginSpec, midi_event};
use rt_core::schedule::{self, Schedule};

use super::controls::{self, Applied};
use super::protocol::{Chain, Done, Failure, Job};

/// How often a worker reports progress and makes its partial file valid.
const CHECKPOINT: Duration = Duration::from_millis(250);

/// Carla's rack and patchbay are stereo: a chain gives two channels, or one when its last
/// plugin has a single output (the rack copies it to both sides; the file keeps it mono, as
/// the JACK engine does).
const MAX_CHANNELS: usize = 2;

/// Frames of silence a chain runs after its controls are applied and before the file (see
/// `carla_lib::Engine::settle`).
const SETTLE_FRAMES: u32 = 4096;

/// A chain loaded into a fresh engine.
pub struct Loaded {
    pub engine: Engine,
    /// The plugins, as Carla names them.
    pub plugins: Vec<String>,
    /// Channels written.
    pub channels: usize,
    /// What the job's plugin controls set, and the parameter changes to make during the file.
    pub applied: Applied,
    /// Whether a plugin of the chain keeps state across instances in its process (see
    /// [`keeps_process_state`]): the next file then needs a fresh worker.
    pub keeps_process_state: bool,
    /// Whether every block must end at the next event (see [`needs_events_at_block_start`]).
    pub split_at_events: bool,
}

/// Whether a plugin of this format plays an event late unless it comes at the start of a
/// block. Carla 2.6's VST3 host (main at 12bc40fd6) hands a VST3 plugin each event with a
/// sample offset of 0 and relies on splitting its run at events, and DISTRHO Kars as VST3
/// played notes up to 1616 frames late at blocks of 4096 (on multiples of 32 frames), exact
/// with Carla 2.5.9; with a block ending at each event, every note lands on its frame in both.
fn needs_events_at_block_start(format: Option<carla_lib::Format>) -> bool {
    format == Some(carla_lib::Format::Vst3)
}

/// Whether a plugin of this format may keep state in its process beyond one instance, so
/// that a fresh engine is not a fresh instrument. DSSI's API shares one library among every
/// instance (`run_multiple_synths`): hexter, rendering one file again in one worker, gave
/// other samples than in a fresh one (measured, with the previous engine destroyed first or
/// not), and the same in every fresh worker.
fn keeps_process_state(format: Option<carla_lib::Format>) -> bool {
    format == Some(carla_lib::Format::Dssi)
}

/// Loads the job's chain into a fresh engine: every file starts from the instrument's initial
/// state (programs, controllers, voices, effect tails), whatever was rendered before it.
pub fn load(library: &Arc<CarlaLibrary>, job: &Job) -> Result<Loaded, Failure> {
    let load_error = |error: carla_lib::Error| Failure::Load(error.to_string());
    let mut engine;
    let channels = match &job.chain {
        Chain::Plugins(specs) => {
            if specs.is_empty() {
                return Err(Failure::Job("no plugin given".into()));
            }
            // Resolve every description before loading any: a typo in the last effect is
            // reported before the instrument spends time loading.
            let plugins = specs
                .iter()
                .map(|spec| PluginSpec::parse(spec).and_then(|spec| spec.resolve()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(load_error)?;
            engine = Engine::new(
                library.clone(),
                EngineKind::Rack,
                job.sample_rate,
                job.block,
            )
            .map_err(load_error)?;
            let mut last = 0;
            for (index, plugin) in plugins.iter().enumerate() {
                // A description may be of an effect alone; a render needs an instrument first.
                last = if index == 0 && !job.describe {
                    engine.add_instrument(plugin).map_err(load_error)?
                } else {
                    engine.add_plugin(plugin).map_err(load_error)?
                };
            }
            (engine.audio_outputs(last) as usize).clamp(1, MAX_CHANNELS)
        }
        Chain::Project(path) => {
            let xml = std::fs::read_to_string(path)
                .map_err(|e| Failure::Load(format!("cannot read {}: {e}", path.display())))?;
            engine = Engine::new(
                library.clone(),
                EngineKind::for_project(&xml),
                job.sample_rate,
                job.block,
            )
            .map_err(load_error)?;
            engine.load_project(path).map_err(load_error)?;
            MAX_CHANNELS
        }
    };
    let plugins: Vec<String> = (0..engine.plugin_count())
        .map(|id| engine.plugin_name(id))
        .collect();
    let applied = controls::apply(&mut engine, job, &plugins)?;
    // Plugins apply what was set over their first runs: settled on silence, the file's first
    // note meets the settings (and the latency they make) in place. Messages queued before
    // the file's (a SoundFont's preset) need no settling, and the chain is not run for
    // nothing: a chorus' modulation runs on in silence.
    if !job.describe && applied.engine_changed {
        engine
            .settle(SETTLE_FRAMES)
            .map_err(|e| Failure::Job(e.to_string()))?;
    }
    let formats: Vec<_> = (0..engine.plugin_count())
        .map(|id| engine.plugin_info(id).format)
        .collect();
    let keeps_process_state = formats.iter().any(|f| keeps_process_state(*f));
    let split_at_events = formats.iter().any(|f| needs_events_at_block_start(*f));
    Ok(Loaded {
        engine,
        plugins,
        channels,
        applied,
        keeps_process_state,
        split_at_events,
    })
}

/// Saves the first plugin's state after the job's controls: a VST2 `.fxp` (its chunk, or
/// every parameter's value) for a path ending so, else Carla's `.carxs`. The file appears
/// complete or not at all.
pub fn save_state(loaded: &Loaded, path: &std::path::Path) -> Result<(), Failure> {
    use crate::fxp::{Vst2Content, Vst2Preset};
    let engine = &loaded.engine;
    let plugin = loaded.plugins.first().cloned().unwrap_or_default();
    let partial = crate::render::partial_path(path);
    let failed = |e: String| {
        Failure::Output(format!(
            "cannot save {plugin}'s state as {}: {e}",
            path.display()
        ))
    };
    let is_fxp = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("fxp"));
    if is_fxp {
        let info = engine.plugin_info(0);
        if info.format != Some(carla_lib::Format::Vst2) {
            return Err(failed("an .fxp file holds a VST2 plugin's state".into()));
        }
        let content = match engine.chunk(0).filter(|_| info.uses_chunks) {
            Some(chunk) => Vst2Content::Chunk(chunk),
            None => Vst2Content::Parameters(
                info.parameters
                    .iter()
                    .filter(|p| p.input)
                    .map(|p| engine.parameter_value(0, p.index))
                    .collect(),
            ),
        };
        let preset = Vst2Preset {
            plugin_id: info.unique_id as i32,
            content,
        };
        std::fs::write(&partial, preset.to_fxp(&info.name)).map_err(|e| failed(e.to_string()))?;
    } else {
        engine
            .save_state(0, &plugin, &partial)
            .map_err(|e| failed(e.to_string()))?;
    }
    std::fs::rename(&partial, path).map_err(|e| failed(e.to_string()))
}

/// What Carla sees in each plugin of a loaded chain.
pub fn describe(loaded: &Loaded) -> Vec<crate::settings::PluginDescription> {
    (0..loaded.engine.plugin_count())
        .map(|id| loaded.engine.plugin_info(id).into())
        .collect()
}

/// How many of the `n` engine frames of a block starting at engine frame `processed` to drop:
/// the first `latency` engine frames are the chain's delay, not the song.
fn latency_skip(latency: u64, processed: u64, n: usize) -> usize {
    latency.saturating_sub(processed).min(n as u64) as usize
}

/// Renders `job` through `engine`: blocks of `job.block` frames, each event at its exact offset
/// in its block, the chain's latency cut from the start, `report(done, total)` now and then.
pub fn render(
    loaded: &mut Loaded,
    job: &Job,
    mut report: impl FnMut(u64, u64),
) -> Result<Done, Failure> {
    let Loaded {
        engine,
        plugins,
        channels,
        applied,
        keeps_process_state,
        split_at_events,
    } = loaded;
    let channels = *channels;
    let mut schedule = Schedule::new();
    let mut dropped_sysex = 0u64;
    for message in &applied.first_events {
        schedule
            .push(0, message)
            .map_err(|e| Failure::Job(e.to_string()))?;
    }
    for (frame, message) in &job.events {
        if message.len() > 4 {
            dropped_sysex += 1;
            continue;
        }
        schedule
            .push(*frame, message)
            .map_err(|e| Failure::Job(e.to_string()))?;
    }
    let latency = engine.latency();
    let silence = job.silence.map(|s| StopOnSilence {
        after_frame: s.after_frame,
        quiet_frames: s.quiet_frames,
        threshold: s.threshold,
    });
    let sink = Sink::File {
        path: job.output.clone(),
        format: job.format.into(),
    };
    let output_error = |e: audio_io::Error| Failure::Output(e.to_string());
    let mut writer = AudioWriter::open(&sink, channels, job.sample_rate).map_err(output_error)?;
    let block = job.block as usize;
    let (mut left, mut right) = (vec![0.0f32; block], vec![0.0f32; block]);
    let mut interleaved = Vec::with_capacity(block * channels);
    let mut events = Vec::new();
    // `processed` counts the engine's frames; the output is the engine's output `latency`
    // frames later, so output frame `i` is engine frame `i + latency`.
    let end = job.total + latency;
    let (mut processed, mut written, mut cursor, mut quiet_run) = (0u64, 0u64, 0usize, 0u64);
    let mut checkpoint = Instant::now();
    seed_c_generators(job.libc_seed);
    // Rendering starts: from now on the caller expects a line at least every checkpoint.
    report(0, job.total);
    let mut next_change = 0;
    while processed < end {
        // Parameter changes due now take effect before this block; the block ends where the
        // next change is due, so each lands on its exact frame.
        while let Some(change) = applied.changes.get(next_change)
            && change.frame <= processed
        {
            engine.set_parameter(change.plugin, change.index, change.value);
            next_change += 1;
        }
        let until_change = applied
            .changes
            .get(next_change)
            .map_or(u64::MAX, |change| change.frame - processed);
        // A chain that needs it gets each event at the start of a block of its own.
        let until_event = if *split_at_events {
            schedule
                .frames()
                .get(cursor)
                .filter(|frame| **frame > processed)
                .map_or(u64::MAX, |frame| frame - processed)
        } else {
            u64::MAX
        };
        let n = (end - processed)
            .min(block as u64)
            .min(until_change)
            .min(until_event) as u32;
        let due = schedule::due(schedule.frames(), cursor, processed, n);
        cursor = due.end;
        events.clear();
        events.extend(due.filter_map(|index| {
            let (frame, bytes) = schedule.get(index);
            midi_event(schedule::offset(frame, processed), bytes)
        }));
        let n = n as usize;
        engine
            .process(&events, &mut left[..n], &mut right[..n])
            .map_err(|e| Failure::Job(e.to_string()))?;
        let skip = latency_skip(latency, processed, n);
        interleaved.clear();
        if channels == 1 {
            interleaved.extend_from_slice(&left[skip..n]);
        } else {
            for (l, r) in left[skip..n].iter().zip(&right[skip..n]) {
                interleaved.extend([*l, *r]);
            }
        }
        processed += n as u64;
        let keep = silence
            .and_then(|rule| rule.keep(&mut quiet_run, written, &interleaved, channels))
            .map_or(interleaved.len(), |frames| frames * channels);
        writer.write(&interleaved[..keep]).map_err(output_error)?;
        written += (keep / channels) as u64;
        if keep < interleaved.len() {
            break;
        }
        if checkpoint.elapsed() >= CHECKPOINT {
            checkpoint = Instant::now();
            writer.flush().map_err(output_error)?;
            report(written, job.total);
        }
    }
    let recording = writer
        .finish(written, job.sample_rate)
        .map_err(output_error)?;
    Ok(Done {
        frames: written,
        peak: recording.peak,
        channels,
        latency,
        dropped_sysex,
        plugins: plugins.clone(),
        clipped: recording.clipped,
        envelope: recording.envelope,
        params: applied.params.clone(),
        presets: applied.presets.clone(),
        fresh_worker_next: *keeps_process_state,
    })
}

/// Seeds the C library's generators (`rand`, `random`, `drand48` and kin) that plugins draw
/// from. Something inside Carla's library seeds `rand` once per process with an address (the
/// VST3 SDK's FUID code: `srand((size_t)this)`), which address-space randomisation makes
/// different on every run; a plugin that picks each note's wave with `rand()` (DISTRHO Kars)
/// then sounded different on every run. Seeded here, after the chain is loaded and before the
/// first block, a file's samples depend only on the file and the seed.
fn seed_c_generators(seed: u64) {
    // glibc's `srandom`, which the libc crate does not declare.
    unsafe extern "C" {
        fn srandom(seed: libc::c_uint);
    }
    let low = seed as u32;
    // SAFETY: plain calls into the C library; the worker's only thread that renders calls them,
    // before any block.
    unsafe {
        libc::srand(low);
        srandom(low);
        libc::srand48(seed as libc::c_long);
    }
}

#[cfg(test)]
mod tests {
    use super::latency_skip;

    #[test]
    fn latency_is_cut_from_the_start_at_any_block_size() {
        // Engine frame f holds the value f; after compensation, output frame i must hold
        // i + latency, for exactly `total` frames.
        let total = 10_000u64;
        for latency in [0u64, 1, 63, 64, 65, 4096, 5000] {
            for block in [1usize, 64, 1000, 4096] {
                let end = total + latency;
                let (mut processed, mut output) = (0u64, Vec::new());
                while processed < end {
                    let n = (end - processed).min(block as u64) as usize;
                    let frames: Vec<u64> = (processed..processed + n as u64).collect();
                    output.extend_from_slice(&frames[latency_skip(latency, processed, n)..]);
                    processed += n as u64;
                }
                let expected: Vec<u64> = (latency..latency + total).collect();
                assert_eq!(output, expected, "latency {latency}, block {block}");
            }
        }
    }
}
