//! The job's plugin controls, applied to a freshly loaded chain before its first block and
//! resolved into parameter changes at exact frames: state files, presets (chosen or drawn),
//! parameters (set or drawn), automation and controllers mapped onto parameters. Anything a
//! plugin does not have, or a value out of its range, refuses the job before any audio,
//! naming the plugin, the parameter and its range.

use std::collections::BTreeMap;

use carla_lib::{Engine, ParameterInfo};

use super::protocol::{Chain, Failure, Job};
use crate::fxp::{Vst2Content, Vst2Preset};

/// What the controls did to a loaded chain.
#[derive(Debug, Default)]
pub struct Applied {
    /// The parameters set (or drawn), per plugin of the chain, by the plugin's names.
    pub params: Vec<BTreeMap<String, f32>>,
    /// The preset loaded (or drawn), per plugin of the chain.
    pub presets: Vec<Option<String>>,
    /// Messages played at frame 0 before the file's own (a SoundFont's preset: bank select and
    /// program change on every channel).
    pub first_events: Vec<Vec<u8>>,
    /// Parameter changes during the file, in time order.
    pub changes: Vec<ParameterChange>,
    /// Whether a state, program or parameter was set in the engine (rather than messages
    /// queued before the file's): the chain then needs to settle before the file.
    pub engine_changed: bool,
}

/// A parameter's new value from `frame` on (the engine splits its block there).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParameterChange {
    pub frame: u64,
    /// The plugin's id in the engine (0-based).
    pub plugin: u32,
    /// The parameter's index.
    pub index: u32,
    /// In the parameter's own units, within its range.
    pub value: f32,
}

/// Applies the job's controls in the order a user expects each to override the one before:
/// state, preset, drawn preset, parameters set, parameters drawn; then resolves automation
/// and controller mappings.
pub fn apply(engine: &mut Engine, job: &Job, plugins: &[String]) -> Result<Applied, Failure> {
    let mut applied = Applied {
        params: vec![BTreeMap::new(); plugins.len()],
        presets: vec![None; plugins.len()],
        ..Applied::default()
    };
    load_states(engine, job, plugins)?;
    applied.engine_changed = !job.states.is_empty();
    apply_presets(engine, job, plugins, &mut applied)?;
    draw_presets(engine, job, plugins, &mut applied)?;
    apply_settings(engine, job, plugins, &mut applied)?;
    draw_parameters(engine, job, plugins, &mut applied)?;
    applied.changes = resolve_changes(engine, job, plugins)?;
    Ok(applied)
}

/// The plugin at 1-based `position` of the chain, named for messages: as the user named it,
/// and as Carla names it.
fn plugin_named(
    job: &Job,
    plugins: &[String],
    position: usize,
    what: &str,
) -> Result<String, Failure> {
    let id = position - 1;
    let Some(name) = plugins.get(id) else {
        return Err(Failure::Load(format!(
            "{what}: the chain has {} plugin(s), no plugin {position}",
            plugins.len()
        )));
    };
    Ok(match &job.chain {
        Chain::Plugins(specs) => format!("{} ({name})", specs.get(id).map_or(name, |s| s)),
        Chain::Project(_) => name.clone(),
    })
}

/// Plugin `setting`'s position checked against the chain: its engine id and its name for
/// messages.
fn target(
    job: &Job,
    plugins: &[String],
    position: usize,
    what: &str,
) -> Result<(u32, String), Failure> {
    let name = plugin_named(job, plugins, position, what)?;
    Ok(((position - 1) as u32, name))
}

/// Loads the job's state files: Carla's `.carxs`, or a VST2 `.fxp`/`.fxb` (a chunk, or every
/// parameter's value) checked against the plugin's format and unique id.
fn load_states(engine: &mut Engine, job: &Job, plugins: &[String]) -> Result<(), Failure> {
    for setting in &job.states {
        let (id, plugin) = target(job, plugins, setting.plugin, &setting.to_string())?;
        let path = &setting.path;
        let is_vst2_file = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("fxp") || e.eq_ignore_ascii_case("fxb"));
        if !is_vst2_file {
            engine
                .load_state(id, &plugin, path)
                .map_err(|e| Failure::Load(e.to_string()))?;
            continue;
        }
        let preset = Vst2Preset::read(path).map_err(|e| Failure::Load(e.to_string()))?;
        let info = engine.plugin_info(id);
        if info.format != Some(carla_lib::Format::Vst2) {
            return Err(Failure::Load(format!(
                "{plugin}: {} is a VST2 preset and this plugin is not a VST2 plugin",
                path.display()
            )));
        }
        if i64::from(preset.plugin_id) != info.unique_id {
            return Err(Failure::Load(format!(
                "{plugin}: {} was saved from the plugin with id {} and this one has id {}",
                path.display(),
                fourcc(preset.plugin_id as i64),
                fourcc(info.unique_id)
            )));
        }
        match preset.content {
            Vst2Content::Chunk(chunk) => engine.set_chunk(id, &chunk),
            Vst2Content::Parameters(values) => {
                for (parameter, value) in info.parameters.iter().filter(|p| p.input).zip(values) {
                    engine.set_parameter(id, parameter.index, value);
                }
            }
        }
    }
    Ok(())
}

/// A VST2 id as its four characters when they are printable, else as a number.
fn fourcc(id: i64) -> String {
    let bytes = (id as i32).to_be_bytes();
    if bytes.iter().all(|b| b.is_ascii_graphic()) {
        format!("'{}'", String::from_utf8_lossy(&bytes))
    } else {
        id.to_string()
    }
}

/// A preset of a plugin: a program, or a MIDI program.
#[derive(Clone, Copy)]
enum Choice {
    Program(usize),
    MidiProgram(usize),
}

/// Loads `choice` into plugin `id` and records it: for a SoundFont (whose program follows
/// each channel's messages) bank select and program change on every channel, played before
/// the file's own messages.
fn load_preset(
    engine: &mut Engine,
    (id, plugin): (u32, &str),
    info: &carla_lib::PluginInfo,
    choice: Choice,
    applied: &mut Applied,
) -> Result<(), Failure> {
    let name = match choice {
        Choice::Program(index) => {
            engine.set_program(id, index as u32);
            applied.engine_changed = true;
            info.programs[index].clone()
        }
        Choice::MidiProgram(index) => {
            let chosen = &info.midi_programs[index];
            if info.format == Some(carla_lib::Format::Sf2) {
                if chosen.bank > 127 {
                    return Err(Failure::Load(format!(
                        "{plugin}: bank {} cannot be selected by a MIDI bank select (0 to 127)",
                        chosen.bank
                    )));
                }
                for channel in 0u8..16 {
                    applied
                        .first_events
                        .push(vec![0xB0 | channel, 0, chosen.bank as u8]);
                    applied
                        .first_events
                        .push(vec![0xC0 | channel, chosen.program as u8]);
                }
            } else {
                engine.set_midi_program(id, index as u32);
                applied.engine_changed = true;
            }
            format!("{}/{} {}", chosen.bank, chosen.program, chosen.name.trim())
        }
    };
    applied.presets[id as usize] = Some(name);
    Ok(())
}

/// Loads the job's presets: a program or MIDI program by name, index or bank/program. A
/// preset the plugin does not have refuses the job, listing some it has.
fn apply_presets(
    engine: &mut Engine,
    job: &Job,
    plugins: &[String],
    applied: &mut Applied,
) -> Result<(), Failure> {
    use crate::settings::Preset;
    for setting in &job.presets {
        let (id, plugin) = target(job, plugins, setting.plugin, &setting.to_string())?;
        let info = engine.plugin_info(id);
        let (programs, midi) = (&info.programs, &info.midi_programs);
        let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        let found = match &setting.preset {
            Preset::Name(name) => programs
                .iter()
                .position(|p| same(p, name))
                .map(Choice::Program)
                .or_else(|| {
                    midi.iter()
                        .position(|p| same(&p.name, name))
                        .map(Choice::MidiProgram)
                }),
            Preset::Index(index) if !programs.is_empty() => {
                ((*index as usize) < programs.len()).then_some(Choice::Program(*index as usize))
            }
            Preset::Index(index) => {
                ((*index as usize) < midi.len()).then_some(Choice::MidiProgram(*index as usize))
            }
            Preset::BankProgram(bank, program) => midi
                .iter()
                .position(|p| (p.bank, p.program) == (*bank, *program))
                .map(Choice::MidiProgram),
        };
        let Some(choice) = found else {
            let known: Vec<String> = programs
                .iter()
                .cloned()
                .chain(
                    midi.iter()
                        .map(|p| format!("{}/{} {}", p.bank, p.program, p.name.trim())),
                )
                .take(12)
                .collect();
            return Err(Failure::Load(format!(
                "{plugin} has no preset {setting} (it has {} programs and {} MIDI programs{}{})",
                programs.len(),
                midi.len(),
                if known.is_empty() {
                    ""
                } else {
                    ", among them: "
                },
                known.join(", ")
            )));
        };
        load_preset(engine, (id, &plugin), &info, choice, applied)?;
    }
    Ok(())
}

/// A number in [0, 1) drawn for `what` of plugin `position` by the seed rule (the job's
/// randomisation seed already holds the render's seed, the input and the part).
fn unit_draw(job: &Job, position: usize, what: &str) -> f64 {
    let spec = match &job.chain {
        Chain::Plugins(specs) => specs.get(position - 1).map_or("", String::as_str),
        Chain::Project(_) => "",
    };
    let bits = crate::seed::mix64(job.randomize_seed, &format!("{position}\0{spec}\0{what}"));
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Draws a preset for each plugin the job asks: one of its programs (or, without any, of its
/// MIDI programs), each equally likely.
fn draw_presets(
    engine: &mut Engine,
    job: &Job,
    plugins: &[String],
    applied: &mut Applied,
) -> Result<(), Failure> {
    for &position in &job.randomize_presets {
        let (id, plugin) = target(job, plugins, position, "randomize-preset")?;
        let info = engine.plugin_info(id);
        let pick = |count: usize| {
            ((unit_draw(job, position, "preset") * count as f64) as usize).min(count - 1)
        };
        let choice = if !info.programs.is_empty() {
            Choice::Program(pick(info.programs.len()))
        } else if !info.midi_programs.is_empty() {
            Choice::MidiProgram(pick(info.midi_programs.len()))
        } else {
            return Err(Failure::Load(format!(
                "{plugin} has no presets to draw from"
            )));
        };
        load_preset(engine, (id, &plugin), &info, choice, applied)?;
    }
    Ok(())
}

/// The input parameter `name` of plugin `id` and `value` checked against its range.
fn checked(
    engine: &Engine,
    (id, plugin): (u32, &str),
    name: &str,
) -> Result<ParameterInfo, Failure> {
    engine
        .plugin_info(id)
        .parameter(plugin, name)
        .cloned()
        .map_err(|e| Failure::Load(e.to_string()))
}

/// Sets the job's parameters, each checked against what the plugin has (by name, symbol or
/// index, within its range).
fn apply_settings(
    engine: &mut Engine,
    job: &Job,
    plugins: &[String],
    applied: &mut Applied,
) -> Result<(), Failure> {
    for setting in &job.settings {
        let (id, plugin) = target(job, plugins, setting.plugin, &setting.to_string())?;
        let parameter = checked(engine, (id, &plugin), &setting.parameter)?;
        let value = parameter
            .check(&plugin, setting.value as f32)
            .map_err(|e| Failure::Load(e.to_string()))?;
        engine.set_parameter(id, parameter.index, value);
        applied.params[id as usize].insert(parameter.name.clone(), value);
        applied.engine_changed = true;
    }
    Ok(())
}

/// Draws the job's random parameters, each uniformly within its range (or the range asked,
/// checked against the parameter's), whole values for integer and on/off parameters. `all`
/// draws every automatable input parameter not set explicitly.
fn draw_parameters(
    engine: &mut Engine,
    job: &Job,
    plugins: &[String],
    applied: &mut Applied,
) -> Result<(), Failure> {
    for setting in &job.randomize {
        let (id, plugin) = target(job, plugins, setting.plugin, &setting.to_string())?;
        let chosen: Vec<(ParameterInfo, f64, f64)> = match &setting.parameter {
            Some(name) => {
                let parameter = checked(engine, (id, &plugin), name)?;
                let (low, high) = setting
                    .range
                    .unwrap_or((f64::from(parameter.min), f64::from(parameter.max)));
                for bound in [low, high] {
                    parameter
                        .check(&plugin, bound as f32)
                        .map_err(|e| Failure::Load(e.to_string()))?;
                }
                vec![(parameter, low, high)]
            }
            None => {
                let set_explicitly: Vec<u32> = job
                    .settings
                    .iter()
                    .filter(|s| s.plugin == setting.plugin)
                    .filter_map(|s| checked(engine, (id, &plugin), &s.parameter).ok())
                    .map(|p| p.index)
                    .collect();
                engine
                    .plugin_info(id)
                    .parameters
                    .into_iter()
                    .filter(|p| p.input && p.automatable && !set_explicitly.contains(&p.index))
                    .map(|p| {
                        let (low, high) = (f64::from(p.min), f64::from(p.max));
                        (p, low, high)
                    })
                    .collect()
            }
        };
        for (parameter, low, high) in chosen {
            let unit = unit_draw(job, setting.plugin, &parameter.name);
            let mut value = low + unit * (high - low);
            if parameter.integer {
                value = value
                    .round()
                    .clamp(low.ceil(), high.floor().max(low.ceil()));
            }
            let value = (value as f32).clamp(parameter.min, parameter.max);
            engine.set_parameter(id, parameter.index, value);
            applied.params[id as usize].insert(parameter.name.clone(), value);
            applied.engine_changed = true;
        }
    }
    Ok(())
}

/// The job's automation lanes and controller mappings as parameter changes in time order (of
/// two at one frame, the one given later wins), every value checked against its range.
fn resolve_changes(
    engine: &Engine,
    job: &Job,
    plugins: &[String],
) -> Result<Vec<ParameterChange>, Failure> {
    let mut changes = Vec::new();
    for lane in &job.automation {
        let what = format!("automation of {}:{}", lane.plugin, lane.parameter);
        let (id, plugin) = target(job, plugins, lane.plugin, &what)?;
        let parameter = checked(engine, (id, &plugin), &lane.parameter)?;
        for &(frame, value) in &lane.points {
            let value = parameter
                .check(&plugin, value as f32)
                .map_err(|e| Failure::Load(format!("automation: {e}")))?;
            changes.push(ParameterChange {
                frame,
                plugin: id,
                index: parameter.index,
                value,
            });
        }
    }
    for mapping in &job.cc_maps {
        let (id, plugin) = target(job, plugins, mapping.plugin, &mapping.to_string())?;
        let parameter = checked(engine, (id, &plugin), &mapping.parameter)?;
        let (low, high) = (parameter.min, parameter.max);
        for (frame, message) in &job.events {
            if let [status, cc, value] = message[..]
                && status & 0xF0 == 0xB0
                && cc == mapping.cc
            {
                let mut value = low + f32::from(value) / 127.0 * (high - low);
                if parameter.integer {
                    value = value.round();
                }
                changes.push(ParameterChange {
                    frame: *frame,
                    plugin: id,
                    index: parameter.index,
                    value: value.clamp(low, high),
                });
            }
        }
    }
    changes.sort_by_key(|change| change.frame);
    Ok(changes)
}
