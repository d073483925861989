//! Which files a `render` reads and where each one's results go: files as given, directories
//! searched recursively for `*.mid`/`*.midi` with the output tree mirroring the input tree.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::args::RenderArgs;
use crate::render_cmd::Job;

/// The jobs of a command line, in a stable order (directories' files sorted).
pub fn plan(args: &RenderArgs) -> Result<Vec<Job>, String> {
    let any_dir = args.midi.iter().any(|input| input.is_dir());
    if args.midi.len() == 1 && !any_dir {
        let midi = args.midi[0].clone();
        let wav = match &args.output {
            Some(path) if path.is_dir() => path.join(format!("{}.wav", stem(&midi)?)),
            Some(path) => path.clone(),
            None => PathBuf::from(format!("{}.wav", stem(&midi)?)),
        };
        return Ok(vec![Job {
            midi,
            wav,
            onsets: args.onsets.clone(),
        }]);
    }
    let dir = args.output.clone().unwrap_or_else(|| PathBuf::from("."));
    if dir.is_file() {
        return Err(format!(
            "-o {} is a file: with several inputs or a directory, -o names a directory",
            dir.display()
        ));
    }
    // Each input with the output name it gets, without extension, relative to `dir`.
    let mut named: Vec<(PathBuf, PathBuf)> = Vec::new();
    for input in &args.midi {
        if input.is_dir() {
            let mut found = Vec::new();
            midi_files_under(input, &mut found)
                .map_err(|error| format!("cannot read {}: {error}", input.display()))?;
            found.sort();
            for midi in found {
                let relative = midi.strip_prefix(input).unwrap_or(&midi).with_extension("");
                named.push((midi, relative));
            }
        } else {
            named.push((input.clone(), PathBuf::from(stem(input)?)));
        }
    }
    let mut seen = HashSet::new();
    named
        .into_iter()
        .map(|(midi, relative)| {
            if !seen.insert(relative.clone()) {
                return Err(format!(
                    "two inputs would both write {}: their outputs would overwrite each other",
                    relative.display()
                ));
            }
            let with = |extension: &str| dir.join(relative.with_extension(extension));
            Ok(Job {
                wav: with("wav"),
                onsets: args.onsets.as_ref().map(|_| with("csv")),
                midi,
            })
        })
        .collect()
}

fn stem(midi: &Path) -> Result<String, String> {
    midi.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{} has no file name", midi.display()))
}

/// Appends the `.mid`/`.midi` files below `dir` (any case, symbolic links not followed into
/// directories) to `found`.
fn midi_files_under(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            midi_files_under(&path, found)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("mid") || e.eq_ignore_ascii_case("midi"))
        {
            found.push(path);
        }
    }
    Ok(())
}
