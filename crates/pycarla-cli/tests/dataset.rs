//! Batches as datasets: directories searched recursively with the output tree mirroring the
//! input tree, a JSON-lines manifest, and `--skip-existing` to resume. Rendered through the
//! impulse instrument on the JACK engine, so these run wherever jackd does.

use std::path::Path;

use assert_cmd::Command;
use pycarla_integration::{impulse_instrument, midi, pycarla_render};

fn pycarla(extra: &[&str]) -> Command {
    let mut command = pycarla_render(["-q", "--tail", "0.1", "--host-cmd"]);
    command.arg(impulse_instrument()).args(extra);
    command
}

fn manifest_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

fn statuses(lines: &[serde_json::Value]) -> Vec<(String, String)> {
    let mut statuses: Vec<(String, String)> = lines
        .iter()
        .map(|line| {
            let output = line["output"].as_str().unwrap();
            let name = Path::new(output)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, line["status"].as_str().unwrap().to_string())
        })
        .collect();
    statuses.sort();
    statuses
}

#[test]
fn a_directory_renders_to_a_mirrored_tree_with_a_manifest_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("a")).unwrap();
    std::fs::create_dir_all(input.join("b/c")).unwrap();
    std::fs::copy(midi("test01.mid"), input.join("a/x.mid")).unwrap();
    std::fs::copy(midi("test01.mid"), input.join("b/c/y.MIDI")).unwrap();
    std::fs::write(input.join("notes.txt"), "not MIDI").unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("m.jsonl");
    let with_manifest = [
        "--manifest",
        manifest.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];

    pycarla(&with_manifest).arg(&input).assert().success();
    assert!(out.join("a/x.wav").is_file() && out.join("b/c/y.wav").is_file());
    let lines = manifest_lines(&manifest);
    assert_eq!(
        statuses(&lines),
        [
            ("x.wav".into(), "rendered".into()),
            ("y.wav".into(), "rendered".into())
        ]
    );
    for line in &lines {
        assert_eq!(line["sample_rate"], 48_000);
        assert_eq!(line["channels"], 2);
        assert!(line["frames"].as_u64().unwrap() > 0);
        assert!(line["midi"].as_str().unwrap().contains("/in/"));
    }

    // Resuming: what exists is skipped and left untouched; what is missing is rendered.
    let y_written = std::fs::metadata(out.join("b/c/y.wav"))
        .unwrap()
        .modified()
        .unwrap();
    std::fs::remove_file(out.join("a/x.wav")).unwrap();
    pycarla(&with_manifest)
        .args(["--skip-existing", "--jobs", "2"])
        .arg(&input)
        .assert()
        .success();
    let lines = manifest_lines(&manifest);
    assert_eq!(
        statuses(&lines[2..]),
        [
            ("x.wav".into(), "rendered".into()),
            ("y.wav".into(), "skipped".into())
        ]
    );
    assert!(out.join("a/x.wav").is_file());
    assert_eq!(
        std::fs::metadata(out.join("b/c/y.wav"))
            .unwrap()
            .modified()
            .unwrap(),
        y_written
    );
}

#[test]
fn a_failed_input_is_a_manifest_row_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.mid");
    std::fs::write(&broken, b"MThd garbage").unwrap();
    let manifest = dir.path().join("m.jsonl");
    pycarla(&[
        "--manifest",
        manifest.to_str().unwrap(),
        "-o",
        dir.path().to_str().unwrap(),
    ])
    .arg(&broken)
    .arg(midi("test01.mid"))
    .assert()
    .code(1);
    let lines = manifest_lines(&manifest);
    assert_eq!(
        statuses(&lines),
        [
            ("broken.wav".into(), "failed".into()),
            ("test01.wav".into(), "rendered".into())
        ]
    );
    let failed = lines.iter().find(|l| l["status"] == "failed").unwrap();
    assert!(
        failed["error"].as_str().unwrap().contains("MIDI"),
        "{failed}"
    );
}

#[test]
fn shards_split_a_batch_by_flag_or_by_the_cluster_s_variables() {
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<_> = ["a", "b", "c", "d"]
        .iter()
        .map(|name| {
            let path = dir.path().join(format!("{name}.mid"));
            std::fs::copy(midi("test01.mid"), &path).unwrap();
            path
        })
        .collect();
    let rendered = |out: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(out)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let out = dir.path().join("flag");
    pycarla(&["--shard", "1/2", "-o", out.to_str().unwrap()])
        .args(inputs.iter().rev())
        .assert()
        .success();
    assert_eq!(rendered(&out), ["b.wav", "d.wav"]);

    // A Slurm array --array=1-2: task 1 is shard 0.
    let out = dir.path().join("slurm");
    pycarla(&["-o", out.to_str().unwrap()])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .args(&inputs)
        .assert()
        .success();
    assert_eq!(rendered(&out), ["a.wav", "c.wav"]);

    // A Kubernetes Indexed Job needs the number of shards.
    pycarla(&["-o", dir.path().join("k8s").to_str().unwrap()])
        .env("JOB_COMPLETION_INDEX", "0")
        .args(&inputs)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--shards"));
}
