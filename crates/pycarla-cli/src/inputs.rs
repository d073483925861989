//! Which files a `render` reads and where each one's results go: files as given, directories
//! searched recursively for `*.mid`/`*.midi` with the output tree mirroring the input tree.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::args::RenderArgs;
use crate::render_cmd::Job;

/// The jobs of a command line, in a stable order (directories' files sorted).
///
/// Each output is `<stem>.<ext>` (the format's extension), or with `--stems` a directory
/// `<stem>/`.
pub fn plan(args: &RenderArgs) -> Result<Vec<Job>, String> {
    let any_dir = args.midi.iter().any(|input| input.is_dir());
    let extension = crate::render_cmd::audio_format(args.out.format).extension();
    let output_name = |stem: &str| match args.stems {
        Some(_) => PathBuf::from(stem),
        None => PathBuf::from(format!("{stem}.{extension}")),
    };
    if args.midi.len() == 1 && !any_dir {
        let midi = args.midi[0].clone();
        let wav = match &args.output {
            Some(path) if path.is_dir() => path.join(output_name(&stem(&midi)?)),
            Some(path) => path.clone(),
            None => output_name(&stem(&midi)?),
        };
        return Ok(vec![Job {
            key: stem(&midi)?,
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
                key: relative.to_string_lossy().into_owned(),
                wav: match args.stems {
                    Some(_) => dir.join(&relative),
                    None => with(extension),
                },
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

/// `--variant NAME=SPEC[,SPEC…]` (with the command line's plugin settings) and the variants
/// of `--variants FILE.toml` (with their own).
pub fn variants(args: &RenderArgs) -> Result<Vec<pycarla::Variant>, String> {
    let mut seen = HashSet::new();
    let mut all: Vec<pycarla::Variant> = args
        .variant
        .iter()
        .map(|text| {
            let (name, specs) = text
                .split_once('=')
                .ok_or_else(|| format!("--variant {text}: expected NAME=SPEC[,SPEC…]"))?;
            let chain: Vec<String> = specs.split(',').map(str::to_string).collect();
            let safe = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
            if name.is_empty() || !name.chars().all(safe) {
                return Err(format!(
                    "--variant {text}: the name must be letters, digits, `-` or `_` (it goes in file names)"
                ));
            }
            if chain.iter().any(|spec| spec.is_empty()) {
                return Err(format!("--variant {text}: an empty plugin in the chain"));
            }
            Ok(pycarla::Variant {
                name: name.to_string(),
                instrument: pycarla::Instrument::Plugins(chain),
                controls: crate::render_cmd::plugin_controls(&args.instrument.controls)?,
            })
        })
        .collect::<Result<_, String>>()?;
    if let Some(path) = &args.variants {
        all.extend(pycarla::read_variants(path).map_err(|e| e.to_string())?);
    }
    for variant in &all {
        if !seen.insert(variant.name.clone()) {
            return Err(format!("variant {} is given twice", variant.name));
        }
    }
    Ok(all)
}

/// `job` for variant `name`: `song.wav` becomes `song.NAME.wav`; a stems directory `song/`
/// becomes `song.NAME/`.
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
        wav: rename(&job.wav, !stems),
        onsets: job.onsets.as_deref().map(|path| rename(path, true)),
    }
}

/// The shard `(k, n)` this run renders, if any: `--shard K/N`, else Slurm's array variables,
/// else Kubernetes' `JOB_COMPLETION_INDEX` with `--shards N`.
pub fn shard(args: &RenderArgs) -> Result<Option<(usize, usize)>, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let number = |what: &str, text: &str| {
        text.trim()
            .parse::<usize>()
            .map_err(|_| format!("{what} {text:?} is not a whole number"))
    };
    let (k, n) = if let Some(text) = &args.shard {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("--shard {text}: expected K/N, e.g. 0/4"))?;
        (number("--shard", k)?, number("--shard", n)?)
    } else if let (Some(id), Some(count)) =
        (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT"))
    {
        // Array indices may start anywhere (--array=1-8): shard K counts from the first.
        let first = var("SLURM_ARRAY_TASK_MIN")
            .map_or(Ok(0), |min| number("SLURM_ARRAY_TASK_MIN", &min))?;
        let id = number("SLURM_ARRAY_TASK_ID", &id)?;
        (
            id.checked_sub(first)
                .ok_or("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN")?,
            number("SLURM_ARRAY_TASK_COUNT", &count)?,
        )
    } else if let Some(index) = var("JOB_COMPLETION_INDEX") {
        let n = args
            .shards
            .ok_or("JOB_COMPLETION_INDEX is set: give the number of shards with --shards N")?;
        (number("JOB_COMPLETION_INDEX", &index)?, n)
    } else {
        return Ok(None);
    };
    if n == 0 || k >= n {
        return Err(format!(
            "shard {k}/{n}: K must be below N, and N above zero"
        ));
    }
    Ok(Some((k, n)))
}

/// The jobs of shard `k` of `n`: the inputs sorted by path, every n-th from the k-th.
pub fn take_shard(mut jobs: Vec<Job>, (k, n): (usize, usize)) -> Vec<Job> {
    jobs.sort_by(|a, b| a.midi.cmp(&b.midi));
    jobs.into_iter().skip(k).step_by(n).collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn variants_name_their_outputs() {
        let job = Job {
            key: "a.b".into(),
            midi: PathBuf::from("in/a.b.mid"),
            wav: PathBuf::from("out/a.b.wav"),
            onsets: Some(PathBuf::from("out/a.b.csv")),
        };
        let file = for_variant(&job, "piano", false);
        assert_eq!(file.wav, PathBuf::from("out/a.b.piano.wav"));
        assert_eq!(file.onsets, Some(PathBuf::from("out/a.b.piano.csv")));
        let stems = Job {
            wav: PathBuf::from("out/a.b"),
            ..job
        };
        assert_eq!(
            for_variant(&stems, "piano", true).wav,
            PathBuf::from("out/a.b.piano")
        );
    }

    #[test]
    fn shards_split_the_sorted_inputs_without_overlap_or_loss() {
        let jobs: Vec<Job> = ["d", "a", "c", "b", "e"]
            .iter()
            .map(|name| Job {
                key: name.to_string(),
                midi: PathBuf::from(format!("{name}.mid")),
                wav: PathBuf::from(format!("{name}.wav")),
                onsets: None,
            })
            .collect();
        let mut seen = Vec::new();
        for k in 0..3 {
            let shard: Vec<_> = take_shard(jobs.clone(), (k, 3))
                .into_iter()
                .map(|j| j.midi)
                .collect();
            seen.extend(shard);
        }
        seen.sort();
        let all: Vec<PathBuf> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|n| PathBuf::from(format!("{n}.mid")))
            .collect();
        assert_eq!(seen, all);
        assert_eq!(
            take_shard(jobs, (1, 2))
                .into_iter()
                .map(|j| j.midi)
                .collect::<Vec<_>>(),
            [PathBuf::from("b.mid"), PathBuf::from("d.mid")]
        );
    }
}
