//! The JACK engine with Carla, whole process, on a short file: what a user waits for before
//! anything is heard. pycarla's own Carla host (Carla's library, no Python) against Carla's
//! Python/Qt front end (`carla -n`) on the same project, and jalv on the same plugin.

use std::path::{Path, PathBuf};
use std::process::Command;

use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

use crate::offline::{KARS_URI, best_of, pycarla_command};

/// What a row measures, as `push` takes it.
pub type Push<'a> = &'a mut dyn FnMut(&str, String, f64, &'static str, &str);

/// A 5 s file: ten notes, one a beat at 120 beats a minute.
fn five_seconds(dir: &Path) -> PathBuf {
    let mut track = Vec::new();
    for index in 0..10u8 {
        let key = (60 + index).into();
        track.push(TrackEvent {
            delta: (if index == 0 { 0 } else { 80 }).into(),
            kind: TrackEventKind::Midi {
                channel: 0.into(),
                message: MidiMessage::NoteOn {
                    key,
                    vel: 100.into(),
                },
            },
        });
        track.push(TrackEvent {
            delta: 400.into(),
            kind: TrackEventKind::Midi {
                channel: 0.into(),
                message: MidiMessage::NoteOff { key, vel: 0.into() },
            },
        });
    }
    track.push(TrackEvent {
        delta: 80.into(),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });
    let mut smf = Smf::new(Header::new(
        Format::SingleTrack,
        Timing::Metrical(480.into()),
    ));
    smf.tracks.push(track);
    let path = dir.join("five-seconds.mid");
    smf.save(&path).expect("write the 5 s file");
    path
}

/// Kars in Carla's patchbay, wired as Carla saves it (its mono output to both sides).
fn kars_patchbay_project(dir: &Path) -> PathBuf {
    let path = dir.join("kars-patchbay.carxp");
    let connection = |source: &str, target: &str| {
        format!(
            "  <Connection>\n   <Source>{source}</Source>\n   <Target>{target}</Target>\n  </Connection>\n"
        )
    };
    let text = format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE CARLA-PROJECT>\n<CARLA-PROJECT VERSION='2.5'>\n \
         <Plugin>\n  <Info>\n   <Type>LV2</Type>\n   <Name>Kars</Name>\n   <URI>{KARS_URI}</URI>\n  </Info>\n  \
         <Data>\n   <Active>Yes</Active>\n  </Data>\n </Plugin>\n <Patchbay>\n{}{}{} </Patchbay>\n</CARLA-PROJECT>\n",
        connection("Midi Input:Capture 1", "Kars:events-in"),
        connection("Kars:Audio Output 1", "Audio Output:Left"),
        connection("Kars:Audio Output 1", "Audio Output:Right"),
    );
    std::fs::write(&path, text).expect("write the project");
    path
}

/// The rows: `--plugin` and a project through pycarla's Carla host, the project through
/// Carla's front end, the plugin through jalv. Best of three, whole process, private server.
pub fn sections(pycarla: &Path, scratch: &Path, push: Push<'_>) {
    let midi = five_seconds(scratch);
    let project = kars_patchbay_project(scratch);
    let out = scratch.join("jack-carla.wav");
    let whole = |args: &[&str], env: Option<(&str, &Path)>| {
        best_of(3, || {
            let mut command: Command =
                pycarla_command(pycarla, args, std::slice::from_ref(&midi), &out);
            if let Some((key, value)) = env {
                command.env(key, value);
            }
            command
        })
    };
    let jack = ["--engine", "jack"];
    if let Some(seconds) = whole(&[&jack[..], &["--plugin", KARS_URI]].concat(), None) {
        push(
            "jack_carla_plugin_s",
            "JACK engine, Carla (pycarla's host), Kars LV2 `--plugin`, 5 s file, private server: whole process (best of 3)".into(),
            seconds,
            "s",
            "≤ 0.6",
        );
    }
    let project_arg = project.to_string_lossy().into_owned();
    let project_args = [&jack[..], &["--project", &project_arg]].concat();
    if let Some(seconds) = whole(&project_args, None) {
        push(
            "jack_carla_project_s",
            "… the same as a Carla patchbay project, pycarla's Carla host".into(),
            seconds,
            "s",
            "",
        );
    }
    // Without Carla's library pycarla falls back on Carla's front end (if installed).
    let no_library = scratch.join("no-carla-library");
    std::fs::create_dir_all(&no_library).expect("empty directory");
    if which("carla")
        && let Some(seconds) = whole(&project_args, Some(("PYCARLA_CARLA_LIBDIR", &no_library)))
    {
        push(
            "jack_carla_frontend_project_s",
            "… the same project through Carla's Python front end (`carla -n`), as before".into(),
            seconds,
            "s",
            "",
        );
    }
    if which("jalv")
        && let Some(seconds) = whole(&[&jack[..], &["--lv2", KARS_URI]].concat(), None)
    {
        push(
            "jack_jalv_s",
            "… Kars through jalv (`--lv2` on the JACK engine)".into(),
            seconds,
            "s",
            "",
        );
    }
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
