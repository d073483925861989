//! Instrument maps: which instrument plays which part of a file, read from TOML.
//!
//! ```toml
//! # Rules are tried in order; the first that matches a part chooses its instrument.
//! default = "/usr/share/sounds/sf2/FluidR3_GM.sf2"   # optional: else the render's instrument
//!
//! [[rule]]
//! programs = [32, 33, 34, 35]          # General MIDI programs, 0-based (32 = Acoustic Bass)
//! plugin = "http://distrho.sf.net/plugins/Kars"
//!
//! [[rule]]
//! drums = true                         # the percussion channel (10)
//! choose = ["drums-a.sf2", "drums-b.sf2"]   # one of these, chosen by the seed
//!
//! [[rule]]
//! track = "*Strings*"                  # a glob on the track's name
//! plugins = ["strings.sfz", "/usr/lib/ladspa/MVerb-ladspa.so"]   # a chain: instrument, effects
//!
//! [[rule]]
//! channel = 4                          # MIDI channel, 1-based as musicians count
//! plugin = "piano.sf2"
//!
//! [[rule]]
//! programs = [80, 81]                  # plugin settings, named as the command's options
//! plugin = "http://distrho.sf.net/plugins/Kars"
//! params = { Volume = 60 }             # --set ("2:Mix" for the second plugin of a chain)
//! randomize = ["Release=0.1:1"]        # --randomize; also preset, state, randomize_preset
//!
//! [[rule]]
//! program = 0
//! choose = ["piano.sf2", { plugin = "/usr/lib/dssi/hexter.so", preset = "E.GRAND 1" }]
//! ```
//!
//! A choice depends only on the seed, the MIDI file's name and the part: the same seed gives
//! the same instruments on every run and machine, and different files get different draws.
//! A rule's settings apply to every chain it may choose, before a `choose` entry's own; a
//! part whose instrument a rule chose gets only the rule's settings, not the render's.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use smf::{DRUM_CHANNEL, Group, GroupKey, Timeline};

use crate::error::{Error, Result};
use crate::instrument::Instrument;
use crate::settings::PluginControls;

/// The instrument a map chose for a part, with the settings its rule gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct MapChoice {
    pub instrument: Instrument,
    pub controls: PluginControls,
}

/// A parsed instrument map.
#[derive(Clone, Debug)]
pub struct InstrumentMap {
    path: PathBuf,
    default: Option<Vec<String>>,
    rules: Vec<Rule>,
}

#[derive(Clone, Debug)]
struct Rule {
    line: usize,
    programs: Option<Vec<u8>>,
    drums: Option<bool>,
    channel: Option<u8>,
    track: Option<glob::Pattern>,
    /// Chains to choose from (one chain: no choice), each with its settings.
    chains: Vec<(Vec<String>, PluginControls)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    default: Option<OneOrMany>,
    #[serde(default)]
    rule: Vec<toml::Spanned<RuleFile>>,
}

#[derive(Deserialize)]
// Unknown fields are refused through `SettingsFile::unknown` (`deny_unknown_fields` does not
// combine with `flatten`).
struct RuleFile {
    program: Option<u8>,
    programs: Option<Vec<u8>>,
    drums: Option<bool>,
    channel: Option<u8>,
    track: Option<String>,
    plugin: Option<String>,
    plugins: Option<Vec<String>>,
    choose: Option<Vec<ChoiceFile>>,
    #[serde(flatten)]
    settings: SettingsFile,
}

/// Plugin settings in a rule or a `choose` entry, named as the command's options.
#[derive(Deserialize, Default)]
struct SettingsFile {
    params: Option<std::collections::BTreeMap<String, f64>>,
    preset: Option<OneOrMany>,
    state: Option<OneOrMany>,
    randomize: Option<OneOrMany>,
    randomize_preset: Option<Positions>,
    /// Anything else: refused by name (`deny_unknown_fields` does not combine with
    /// `flatten`).
    #[serde(flatten)]
    unknown: std::collections::BTreeMap<String, toml::Value>,
}

/// `randomize_preset = true` (the instrument) or a list of positions.
#[derive(Deserialize)]
#[serde(untagged)]
enum Positions {
    Flag(bool),
    Many(Vec<usize>),
}

/// A `choose` entry: a spec, or a table with its chain and settings.
#[derive(Deserialize)]
#[serde(untagged)]
enum ChoiceFile {
    Spec(String),
    Table {
        plugin: Option<String>,
        plugins: Option<Vec<String>>,
        #[serde(flatten)]
        settings: SettingsFile,
    },
}

impl SettingsFile {
    /// The settings as the library's controls, or why not.
    /// A field nobody knows, with its line in `text` (searched from the table's `line`).
    fn unknown_field(&self, text: &str, line: usize) -> Option<(usize, String)> {
        let key = self.unknown.keys().next()?;
        let found = text
            .lines()
            .enumerate()
            .skip(line.saturating_sub(1))
            .find(|(_, l)| {
                l.trim_start()
                    .strip_prefix(key.as_str())
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map_or(line, |(index, _)| index + 1);
        Some((found, format!("unknown field `{key}`")))
    }

    fn controls(self) -> std::result::Result<PluginControls, String> {
        let words = |given: Option<OneOrMany>| match given {
            None => Vec::new(),
            Some(OneOrMany::One(one)) => vec![one],
            Some(OneOrMany::Many(many)) => many,
        };
        fn parse<T: std::str::FromStr<Err = Error>>(
            words: Vec<String>,
        ) -> std::result::Result<Vec<T>, String> {
            words
                .iter()
                .map(|w| w.parse().map_err(|e: Error| e.to_string()))
                .collect()
        }
        Ok(PluginControls {
            params: parse(
                self.params
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(target, value)| format!("{target}={value}"))
                    .collect(),
            )?,
            presets: parse(words(self.preset))?,
            states: parse(words(self.state))?,
            randomize: parse(words(self.randomize))?,
            randomize_presets: match self.randomize_preset {
                None | Some(Positions::Flag(false)) => Vec::new(),
                Some(Positions::Flag(true)) => vec![1],
                Some(Positions::Many(positions)) => positions,
            },
            ..PluginControls::default()
        })
    }
}

/// `rule`'s settings followed by `own`'s.
fn merged(rule: &PluginControls, own: PluginControls) -> PluginControls {
    let mut all = rule.clone();
    all.params.extend(own.params);
    all.presets.extend(own.presets);
    all.states.extend(own.states);
    all.randomize.extend(own.randomize);
    all.randomize_presets.extend(own.randomize_presets);
    all
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl InstrumentMap {
    /// Reads and checks the map at `path`; errors name the file and the line.
    pub fn from_path(path: impl AsRef<Path>) -> Result<InstrumentMap> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        InstrumentMap::parse(&text, path)
    }

    /// Parses map text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<InstrumentMap> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let error = |line: usize, reason: String| Error::Map {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let file: MapFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |span| line_of(span.start));
            error(line, e.message().to_string())
        })?;
        let mut rules = Vec::new();
        for spanned in file.rule {
            // The line of the rule's `[[rule]]` header.
            let line = line_of(spanned.span().start);
            let rule = spanned.into_inner();
            if let Some((line, reason)) = rule.settings.unknown_field(text, line) {
                return Err(error(line, reason));
            }
            let rule_controls = rule.settings.controls().map_err(|e| error(line, e))?;
            let one_of = "a rule needs exactly one of `plugin`, `plugins` (a non-empty chain) \
                          or `choose` (a non-empty list)";
            let chains: Vec<(Vec<String>, PluginControls)> =
                match (rule.plugin, rule.plugins, rule.choose) {
                    (Some(one), None, None) => vec![(vec![one], rule_controls)],
                    (None, Some(chain), None) if !chain.is_empty() => {
                        vec![(chain, rule_controls)]
                    }
                    (None, None, Some(choices)) if !choices.is_empty() => choices
                        .into_iter()
                        .map(|choice| match choice {
                            ChoiceFile::Spec(spec) => Ok((vec![spec], rule_controls.clone())),
                            ChoiceFile::Table {
                                plugin,
                                plugins,
                                settings,
                            } => {
                                let chain = match (plugin, plugins) {
                                    (Some(one), None) => vec![one],
                                    (None, Some(chain)) if !chain.is_empty() => chain,
                                    _ => {
                                        return Err(error(
                                            line,
                                            "a `choose` table needs exactly one of `plugin` or \
                                             `plugins`"
                                                .into(),
                                        ));
                                    }
                                };
                                if let Some((line, reason)) = settings.unknown_field(text, line) {
                                    return Err(error(line, reason));
                                }
                                let own = settings.controls().map_err(|e| error(line, e))?;
                                Ok((chain, merged(&rule_controls, own)))
                            }
                        })
                        .collect::<Result<_>>()?,
                    _ => return Err(error(line, one_of.into())),
                };
            for spec in chains.iter().flat_map(|(chain, _)| chain) {
                carla_lib::PluginSpec::parse(spec).map_err(|e| error(line, e.to_string()))?;
            }
            let programs = match (rule.program, rule.programs) {
                (Some(one), None) => Some(vec![one]),
                (None, many) => many,
                (Some(_), Some(_)) => {
                    return Err(error(line, "give `program` or `programs`, not both".into()));
                }
            };
            if let Some(bad) = programs.iter().flatten().find(|p| **p > 127) {
                return Err(error(line, format!("program {bad}: programs are 0 to 127")));
            }
            if let Some(channel) = rule.channel
                && !(1..=16).contains(&channel)
            {
                return Err(error(
                    line,
                    format!("channel {channel}: channels are 1 to 16"),
                ));
            }
            let track = rule
                .track
                .map(|pattern| {
                    glob::Pattern::new(&pattern)
                        .map_err(|e| error(line, format!("track pattern {pattern:?}: {e}")))
                })
                .transpose()?;
            if programs.is_none()
                && rule.drums.is_none()
                && rule.channel.is_none()
                && track.is_none()
            {
                return Err(error(
                    line,
                    "a rule needs a condition: `program(s)`, `drums`, `channel` or `track`".into(),
                ));
            }
            rules.push(Rule {
                line,
                programs,
                drums: rule.drums,
                channel: rule.channel,
                track,
                chains,
            });
        }
        let default = file.default.map(|d| match d {
            OneOrMany::One(spec) => vec![spec],
            OneOrMany::Many(chain) => chain,
        });
        for spec in default.iter().flatten() {
            carla_lib::PluginSpec::parse(spec).map_err(|e| error(1, e.to_string()))?;
        }
        Ok(InstrumentMap {
            path: path.to_path_buf(),
            default,
            rules,
        })
    }

    /// The map's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The instrument for `group` of `timeline` (from the MIDI file `midi`) with its rule's
    /// settings, or `None` for the render's default instrument. With several choices, `seed`
    /// picks one.
    pub fn choose(
        &self,
        group: &Group,
        timeline: &Timeline,
        midi: &Path,
        seed: u64,
    ) -> Option<MapChoice> {
        let rule = self.rules.iter().find(|rule| rule.matches(group, timeline));
        let chain = match rule {
            Some(rule) if rule.chains.len() == 1 => rule.chains[0].clone(),
            Some(rule) => {
                // The seed rule: the file (named as the command names a file given alone), the
                // part, and what is drawn.
                let name = midi.file_stem().map(|n| n.to_string_lossy().into_owned());
                let draw = crate::seed::draw(
                    seed,
                    &name.unwrap_or_default(),
                    &group.key.label(),
                    "choose",
                );
                rule.chains[(draw % rule.chains.len() as u64) as usize].clone()
            }
            None => (self.default.clone()?, PluginControls::default()),
        };
        Some(MapChoice {
            instrument: Instrument::Plugins(chain.0),
            controls: chain.1,
        })
    }

    /// The line of the rule that matches `group`, for messages and metadata.
    pub fn rule_line(&self, group: &Group, timeline: &Timeline) -> Option<usize> {
        self.rules
            .iter()
            .find(|rule| rule.matches(group, timeline))
            .map(|rule| rule.line)
    }
}

/// A named chain with its plugin settings: one run of every input of a render, its outputs
/// named `<stem>.NAME.<ext>` (`--variants FILE.toml`).
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// Letters, digits, `-` or `_` (it goes in file names).
    pub name: String,
    pub instrument: Instrument,
    pub controls: PluginControls,
}

/// `[variant.NAME]` tables, each the shape of a map rule without its condition:
///
/// ```toml
/// [variant.soft]
/// plugin = "http://distrho.sf.net/plugins/Kars"
/// params = { Volume = 40 }
///
/// [variant.hall]
/// plugins = ["/usr/lib/dssi/hexter.so", "/usr/lib/ladspa/MVerb-ladspa.so"]
/// preset = "E.GRAND 1"
/// randomize = ["2:Mix=10:50"]
/// ```
///
/// Variants come in name order; errors name the file and the line.
pub fn read_variants(path: impl AsRef<Path>) -> Result<Vec<Variant>> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_variants(&text, path)
}

/// Parses variants text in [`read_variants`]' shape; `path` names it in errors.
pub fn parse_variants(text: &str, path: &Path) -> Result<Vec<Variant>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct VariantsFile {
        variant: std::collections::BTreeMap<String, toml::Spanned<VariantFile>>,
    }
    #[derive(Deserialize)]
    struct VariantFile {
        plugin: Option<String>,
        plugins: Option<Vec<String>>,
        #[serde(flatten)]
        settings: SettingsFile,
    }
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let error = |line: usize, reason: String| Error::Map {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let file: VariantsFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |span| line_of(span.start));
        error(line, e.message().to_string())
    })?;
    file.variant
        .into_iter()
        .map(|(name, spanned)| {
            let line = line_of(spanned.span().start);
            let variant = spanned.into_inner();
            let safe = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
            if name.is_empty() || !name.chars().all(safe) {
                return Err(error(
                    line,
                    format!("variant {name:?}: a name is letters, digits, `-` or `_` (it goes in file names)"),
                ));
            }
            let chain = match (variant.plugin, variant.plugins) {
                (Some(one), None) => vec![one],
                (None, Some(chain)) if !chain.is_empty() => chain,
                _ => {
                    return Err(error(
                        line,
                        format!("variant {name}: needs exactly one of `plugin` or `plugins`"),
                    ));
                }
            };
            for spec in &chain {
                carla_lib::PluginSpec::parse(spec).map_err(|e| error(line, e.to_string()))?;
            }
            if let Some((line, reason)) = variant.settings.unknown_field(text, line) {
                return Err(error(line, format!("variant {name}: {reason}")));
            }
            let controls = variant
                .settings
                .controls()
                .map_err(|e| error(line, format!("variant {name}: {e}")))?;
            Ok(Variant {
                name,
                instrument: Instrument::Plugins(chain),
                controls,
            })
        })
        .collect()
}

impl Rule {
    fn matches(&self, group: &Group, timeline: &Timeline) -> bool {
        let is_drums = group.key == GroupKey::Drums || group.channels.contains(&DRUM_CHANNEL);
        let programs_match = self.programs.as_ref().is_none_or(|programs| {
            !is_drums && group.programs.iter().any(|p| programs.contains(p))
        });
        let drums_match = self.drums.is_none_or(|drums| drums == is_drums);
        let channel_match = self
            .channel
            .is_none_or(|channel| group.channels.contains(&(channel - 1)));
        let track_match = self.track.as_ref().is_none_or(|pattern| {
            group
                .tracks
                .iter()
                .filter_map(|track| timeline.track_name(*track))
                .any(|name| pattern.matches(name))
        });
        programs_match && drums_match && channel_match && track_match
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smf::GroupBy;

    fn band() -> Timeline {
        let bass_name = vec![0xFF, 0x03, 4, b'B', b'a', b's', b's'];
        let tracks = vec![
            vec![(0, vec![0x90, 60, 100]), (480, vec![0x80, 60, 0])],
            vec![
                (0, bass_name),
                (0, vec![0xC1, 33]),
                (0, vec![0x91, 36, 100]),
                (480, vec![0x81, 36, 0]),
            ],
            vec![(0, vec![0x99, 36, 100]), (480, vec![0x89, 36, 0])],
        ];
        Timeline::parse(&smf::testing::file(1, 480, &tracks)).unwrap()
    }

    const MAP: &str = r#"
default = "default.sf2"

[[rule]]
program = 33
plugin = "bass.sf2"

[[rule]]
drums = true
choose = ["kit-a.sf2", "kit-b.sf2", "kit-c.sf2", "kit-d.sf2"]
"#;

    fn chain(choice: Option<MapChoice>) -> Vec<String> {
        match choice.map(|c| c.instrument) {
            Some(Instrument::Plugins(chain)) => chain,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rules_and_choose_tables_carry_plugin_settings() {
        let map = InstrumentMap::parse(
            r#"
[[rule]]
program = 33
plugins = ["bass.sf2", "/usr/lib/ladspa/MVerb-ladspa.so"]
params = { "2:Mix" = 30 }
randomize = "2:Size=0.2:0.4"

[[rule]]
drums = true
preset = "0/0"
choose = ["kit-a.sf2", { plugin = "kit-b.sf2", params = { Gain = 2 }, randomize_preset = true }]
"#,
            Path::new("m.toml"),
        )
        .unwrap();
        let timeline = band();
        let groups = timeline.groups(GroupBy::Channel);
        let bass = map
            .choose(&groups[1], &timeline, Path::new("a.mid"), 0)
            .unwrap();
        assert_eq!(bass.controls.params[0].to_string(), "2:Mix=30");
        assert_eq!(bass.controls.randomize[0].to_string(), "2:Size=0.2:0.4");
        let kits: Vec<MapChoice> = (0..20)
            .map(|seed| {
                map.choose(&groups[2], &timeline, Path::new("a.mid"), seed)
                    .unwrap()
            })
            .collect();
        let b = kits
            .iter()
            .find(|k| k.instrument == Instrument::Plugins(vec!["kit-b.sf2".into()]))
            .expect("kit b among 20 draws");
        assert_eq!(
            b.controls.presets[0].to_string(),
            "1:0/0",
            "the rule's, then its own"
        );
        assert_eq!(b.controls.params[0].to_string(), "1:Gain=2");
        assert_eq!(b.controls.randomize_presets, [1]);
        let a = kits
            .iter()
            .find(|k| k.instrument == Instrument::Plugins(vec!["kit-a.sf2".into()]))
            .expect("kit a among 20 draws");
        assert!(a.controls.params.is_empty() && a.controls.presets.len() == 1);
    }

    #[test]
    fn rules_match_by_program_and_drums_and_the_rest_gets_the_default() {
        let map = InstrumentMap::parse(MAP, Path::new("map.toml")).unwrap();
        let timeline = band();
        let groups = timeline.groups(GroupBy::Channel);
        let midi = Path::new("song.mid");
        assert_eq!(
            chain(map.choose(&groups[0], &timeline, midi, 1)),
            ["default.sf2"]
        );
        assert_eq!(
            chain(map.choose(&groups[1], &timeline, midi, 1)),
            ["bass.sf2"]
        );
        assert_eq!(map.rule_line(&groups[1], &timeline), Some(4));
        assert!(chain(map.choose(&groups[2], &timeline, midi, 1))[0].starts_with("kit-"));
    }

    #[test]
    fn the_same_seed_chooses_the_same_and_seeds_differ() {
        let map = InstrumentMap::parse(MAP, Path::new("map.toml")).unwrap();
        let timeline = band();
        let drums = &timeline.groups(GroupBy::Program)[2];
        let pick = |seed, name: &str| chain(map.choose(drums, &timeline, Path::new(name), seed));
        assert_eq!(pick(7, "a.mid"), pick(7, "a.mid"));
        let draws: std::collections::BTreeSet<_> =
            (0..20).map(|seed| pick(seed, "a.mid")).collect();
        assert!(draws.len() > 1, "20 seeds all chose {draws:?}");
    }

    #[test]
    fn track_name_patterns_match() {
        let map = InstrumentMap::parse(
            "[[rule]]\ntrack = \"*ass\"\nplugin = \"b.sf2\"\n",
            Path::new("m.toml"),
        )
        .unwrap();
        let timeline = band();
        let groups = timeline.groups(GroupBy::Track);
        assert_eq!(
            chain(map.choose(&groups[1], &timeline, Path::new("x.mid"), 0)),
            ["b.sf2"]
        );
        assert!(
            map.choose(&groups[0], &timeline, Path::new("x.mid"), 0)
                .is_none()
        );
    }

    #[test]
    fn variants_are_named_chains_with_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.toml");
        std::fs::write(
            &path,
            "[variant.soft]\nplugin = \"a.sf2\"\nparams = { Volume = 40 }\n\n[variant.b]\nplugins = [\"b.sf2\", \"c.so\"]\nrandomize = \"2:all\"\n",
        )
        .unwrap();
        let variants = read_variants(&path).unwrap();
        assert_eq!(
            variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
            ["b", "soft"]
        );
        assert_eq!(variants[1].controls.params[0].to_string(), "1:Volume=40");
        assert_eq!(variants[0].controls.randomize[0].to_string(), "2:all");
        std::fs::write(
            &path,
            "[variant.x]\nplugin = \"a.sf2\"\n\n[variant.\"a b\"]\nplugin = \"a.sf2\"\n",
        )
        .unwrap();
        let message = read_variants(&path).unwrap_err().to_string();
        assert!(
            message.contains("v.toml:4:") && message.contains("a name is"),
            "{message}"
        );
    }

    #[test]
    fn a_wrong_map_names_the_line() {
        for (text, line, words) in [
            ("[[rule]]\nprogram = 3\n", 1, "exactly one of"),
            (
                "\n\n[[rule]]\nprogram = 3\nplugin = \"a.sf2\"\ncolour = 1\n",
                6,
                "unknown field `colour`",
            ),
            (
                "[[rule]]\nprogram = 3\nplugin = \"a.sf2\"\nparams = { Volume = \"loud\" }\n",
                1,
                "",
            ),
            (
                "[[rule]]\nprogram = 3\nchoose = [{ plugins = [] }]\n",
                1,
                "`choose` table",
            ),
            ("[[rule]]\nplugin = \"a.sf2\"\n", 1, "needs a condition"),
            ("[[rule]]\nchannel = 17\nplugin = \"a.sf2\"\n", 1, "1 to 16"),
            ("[[rule]]\nprogram = 1\nplugin = \"\"\n", 1, "empty"),
        ] {
            let error = InstrumentMap::parse(text, Path::new("m.toml")).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains(&format!("m.toml:{line}:")) && message.contains(words),
                "{text:?}: {message}"
            );
        }
    }
}
