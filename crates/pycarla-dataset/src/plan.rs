//! Which files a dataset reads and where each one's results go: files as given, directories
//! searched recursively for `*.mid`/`*.midi` (sorted) with the output tree mirroring the input
//! tree.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One input and where its results go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The MIDI file.
    pub midi: PathBuf,
    /// The input as the seed rule names it: its path relative to the input root without its
    /// extension (the file's stem for a file given alone), so draws do not depend on where the
    /// dataset lives.
    pub key: String,
    /// The audio file, or with stems the directory.
    pub output: PathBuf,
    /// The onsets CSV, when asked for.
    pub onsets: Option<PathBuf>,
}

impl Job {
    /// A job for `midi` into `output` as given, keyed by the MIDI file's stem.
    pub fn new(midi: impl Into<PathBuf>, output: impl Into<PathBuf>) -> Result<Job> {
        let midi = midi.into();
        Ok(Job {
            key: stem(&midi)?,
            midi,
            output: output.into(),
            onsets: None,
        })
    }
}

/// What each input's outputs are named.
#[derive(Debug, Clone, Copy)]
pub struct Outputs<'a> {
    /// The audio files' extension (`wav`, `flac`).
    pub extension: &'a str,
    /// Stems: each input gets a directory, not a file.
    pub stems: bool,
    /// Onsets CSVs: a file given alone writes its CSV at this path; inputs written into a
    /// directory get one each beside their output (`<stem>.csv`; the path is then unused).
    pub onsets: Option<&'a Path>,
}

/// The jobs for `inputs` (files and directories) writing under `output`, in a stable order.
///
/// One file given alone writes `output` itself unless it is an existing directory (then into
/// it), or `<stem>.<ext>` here; anything else writes into the directory `output` (default `.`),
/// a directory's files mirroring its tree. Each output is `<stem>.<ext>`, or with stems a
/// directory `<stem>/`. Two inputs that would write the same output are an error.
pub fn plan(inputs: &[PathBuf], output: Option<&Path>, outputs: Outputs) -> Result<Vec<Job>> {
    let any_dir = inputs.iter().any(|input| input.is_dir());
    let output_name = |stem: &str| match outputs.stems {
        true => PathBuf::from(stem),
        false => PathBuf::from(format!("{stem}.{}", outputs.extension)),
    };
    if let ([midi], false) = (inputs, any_dir) {
        let name = stem(midi)?;
        let target = match output {
            Some(path) if path.is_dir() => path.join(output_name(&name)),
            Some(path) => path.to_path_buf(),
            None => output_name(&name),
        };
        return Ok(vec![Job {
            key: name,
            midi: midi.clone(),
            output: target,
            onsets: outputs.onsets.map(Path::to_path_buf),
        }]);
    }
    let dir = output.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    if dir.is_file() {
        return Err(Error::OutputIsAFile { path: dir });
    }
    // Each input with its output name, without extension, relative to `dir`.
    let mut named: Vec<(PathBuf, PathBuf)> = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            midi_files_under(input, &mut found).map_err(|source| Error::ReadDir {
                path: input.clone(),
                source,
            })?;
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
                return Err(Error::OutputClash {
                    output: dir.join(relative),
                });
            }
            let with = |extension: &str| dir.join(relative.with_extension(extension));
            Ok(Job {
                key: relative.to_string_lossy().into_owned(),
                output: match outputs.stems {
                    true => dir.join(&relative),
                    false => with(outputs.extension),
                },
                onsets: outputs.onsets.map(|_| with("csv")),
                midi,
            })
        })
        .collect()
}

/// `job` for variant `name`: `song.wav` becomes `song.NAME.wav`; a stems directory `song/`
/// becomes `song.NAME/`; the onsets CSV likewise.
pub fn for_variant(job: &Job, name: &str, stems: bool) -> Job {
    let rename = |path: &Path, has_extension: bool| {
        let file = match path.extension() {
            Some(extension) if has_extension => format!(
                "{}.{name}.{}",
                path.file_stem().unwrap_or_default().to_string_lossy(),
                extension.to_string_lossy()
            ),
            _ => format!(
                "{}.{name}",
                path.file_name().unwrap_or_default().to_string_lossy()
            ),
        };
        path.with_file_name(file)
    };
    Job {
        key: job.key.clone(),
        midi: job.midi.clone(),
        output: rename(&job.output, !stems),
        onsets: job.onsets.as_deref().map(|path| rename(path, true)),
    }
}

/// Splits `jobs` into those whose output exists (finished: outputs appear complete or not at
/// all) and those still to render.
pub fn skip_existing(jobs: Vec<Job>) -> (Vec<Job>, Vec<Job>) {
    jobs.into_iter().partition(|job| job.output.exists())
}

fn stem(midi: &Path) -> Result<String> {
    midi.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| Error::NoFileName {
            path: midi.to_path_buf(),
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn wav() -> Outputs<'static> {
        Outputs {
            extension: "wav",
            stems: false,
            onsets: Some(Path::new("onsets.csv")),
        }
    }

    #[test]
    fn variants_name_their_outputs() {
        let job = Job {
            key: "a.b".into(),
            midi: PathBuf::from("in/a.b.mid"),
            output: PathBuf::from("out/a.b.wav"),
            onsets: Some(PathBuf::from("out/a.b.csv")),
        };
        let file = for_variant(&job, "piano", false);
        assert_eq!(file.output, PathBuf::from("out/a.b.piano.wav"));
        assert_eq!(file.onsets, Some(PathBuf::from("out/a.b.piano.csv")));
        let stems = Job {
            output: PathBuf::from("out/a.b"),
            ..job
        };
        assert_eq!(
            for_variant(&stems, "piano", true).output,
            PathBuf::from("out/a.b.piano")
        );
    }

    #[test]
    fn a_directory_is_mirrored_sorted_and_clashes_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let input = root.path().join("in");
        std::fs::create_dir_all(input.join("b")).unwrap();
        for name in ["b/z.MID", "a.mid", "b/y.midi", "notes.txt"] {
            std::fs::write(input.join(name), b"").unwrap();
        }
        let out = root.path().join("out");
        let jobs = plan(std::slice::from_ref(&input), Some(&out), wav()).unwrap();
        let outputs: Vec<_> = jobs.iter().map(|j| j.output.clone()).collect();
        assert_eq!(
            outputs,
            [out.join("a.wav"), out.join("b/y.wav"), out.join("b/z.wav")]
        );
        assert_eq!(jobs[1].key, "b/y");
        assert_eq!(jobs[1].onsets, Some(out.join("b/y.csv")));
        let clash = plan(
            &[input.join("a.mid"), input.join("a.midi")],
            Some(&out),
            wav(),
        );
        assert!(matches!(clash, Err(Error::OutputClash { .. })), "{clash:?}");
        let file = root.path().join("file.wav");
        std::fs::write(&file, b"").unwrap();
        let into_file = plan(std::slice::from_ref(&input), Some(&file), wav());
        assert!(matches!(into_file, Err(Error::OutputIsAFile { .. })));
    }
}
