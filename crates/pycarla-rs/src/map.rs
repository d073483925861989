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
//! ```
//!
//! A choice depends only on the seed, the MIDI file's name and the part: the same seed gives
//! the same instruments on every run and machine, and different files get different draws.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use smf::{DRUM_CHANNEL, Group, GroupKey, Timeline};

use crate::error::{Error, Result};
use crate::instrument::Instrument;

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
    /// Chains to choose from (one chain: no choice).
    chains: Vec<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    default: Option<OneOrMany>,
    #[serde(default)]
    rule: Vec<toml::Spanned<RuleFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    program: Option<u8>,
    programs: Option<Vec<u8>>,
    drums: Option<bool>,
    channel: Option<u8>,
    track: Option<String>,
    plugin: Option<String>,
    plugins: Option<Vec<String>>,
    choose: Option<Vec<String>>,
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
            let chains: Vec<Vec<String>> = match (rule.plugin, rule.plugins, rule.choose) {
                (Some(one), None, None) => vec![vec![one]],
                (None, Some(chain), None) if !chain.is_empty() => vec![chain],
                (None, None, Some(choices)) if !choices.is_empty() => {
                    choices.into_iter().map(|spec| vec![spec]).collect()
                }
                _ => {
                    return Err(error(
                        line,
                        "a rule needs exactly one of `plugin`, `plugins` (a non-empty chain) \
                         or `choose` (a non-empty list)"
                            .into(),
                    ));
                }
            };
            for spec in chains.iter().flatten() {
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

    /// The instrument for `group` of `timeline` (from the MIDI file `midi`), or `None` for the
    /// render's default instrument. With several choices, `seed` picks one.
    pub fn choose(
        &self,
        group: &Group,
        timeline: &Timeline,
        midi: &Path,
        seed: u64,
    ) -> Option<Instrument> {
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
            None => self.default.clone()?,
        };
        Some(Instrument::Plugins(chain))
    }

    /// The line of the rule that matches `group`, for messages and metadata.
    pub fn rule_line(&self, group: &Group, timeline: &Timeline) -> Option<usize> {
        self.rules
            .iter()
            .find(|rule| rule.matches(group, timeline))
            .map(|rule| rule.line)
    }
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

    fn chain(instrument: Option<Instrument>) -> Vec<String> {
        match instrument {
            Some(Instrument::Plugins(chain)) => chain,
            other => panic!("{other:?}"),
        }
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
    fn a_wrong_map_names_the_line() {
        for (text, line, words) in [
            ("[[rule]]\nprogram = 3\n", 1, "exactly one of"),
            (
                "\n\n[[rule]]\nprogram = 3\nplugin = \"a.sf2\"\ncolour = 1\n",
                6,
                "colour",
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
