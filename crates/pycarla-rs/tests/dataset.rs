//! The dataset layer on JACK with several files at a time: worker processes
//! (`pycarla-jack-worker`), a private server each, every impulse of the impulse instrument (a
//! test fixture) on its exact frame, every file in the manifest, the same audio as one file
//! at a time.

use pycarla::dataset::{Dataset, Manifest, Outputs, Quiet, plan};
use pycarla::{EngineChoice, Instrument, RenderOptions, Tail};
use pycarla_integration::{
    expected_impulses, impulse_instrument, impulse_mismatches, midi_dir, one_server_at_a_time,
    read_wav, scratch, use_helper,
};

fn impulses() -> Instrument {
    Instrument::Command {
        command: vec![impulse_instrument().display().to_string()],
        midi_port: "Carla:events-in".into(),
        audio_ports: "Carla:audio-out*".into(),
    }
}

fn dataset(jobs: Vec<pycarla::dataset::Job>, at_once: usize) -> Dataset {
    Dataset {
        jobs,
        instrument: impulses(),
        options: RenderOptions::default()
            .engine(EngineChoice::Jack)
            .tail(Tail::Seconds(0.5)),
        variants: Vec::new(),
        stems: None,
        jobs_at_once: at_once,
        skip_existing: false,
    }
}

#[test]
fn several_jack_files_at_a_time_render_in_worker_processes_exactly() {
    let _serial = one_server_at_a_time();
    use_helper(
        pycarla::dataset::JACK_WORKER_EXE_VAR,
        env!("CARGO_BIN_EXE_pycarla-jack-worker"),
    );
    let dir = scratch("pycarla-dataset-");
    let outputs = Outputs {
        extension: "wav",
        stems: false,
        onsets: None,
    };
    let inputs = [midi_dir()];
    let pooled = plan(&inputs, Some(&dir.path().join("pool")), outputs).unwrap();
    let manifest_path = dir.path().join("manifest.jsonl");
    let mut manifest = Manifest::open(Some(&manifest_path)).unwrap();
    let summary = dataset(pooled.clone(), 3).render(&mut manifest, &mut Quiet);
    assert_eq!(summary.rendered, pooled.len(), "{summary:?}");
    assert!(summary.all_done());
    let lines = std::fs::read_to_string(&manifest_path).unwrap();
    assert_eq!(lines.lines().count(), pooled.len());
    for line in lines.lines() {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(line["status"], "rendered");
        assert_eq!(line["engine"], "jack");
    }
    // Every impulse on its frame, nothing else, in every file a worker rendered.
    for job in &pooled {
        let timeline = smf::Timeline::from_path(&job.midi).unwrap();
        let expected = expected_impulses(&timeline, 48_000);
        let wav = read_wav(&job.output);
        for channel in &wav.channels {
            let problems = impulse_mismatches(channel, &expected);
            assert!(problems.is_empty(), "{}: {problems:?}", job.midi.display());
        }
    }
    // The same samples as one file after another in this process.
    let single = plan(&inputs, Some(&dir.path().join("single")), outputs).unwrap();
    let mut none = Manifest::open(None).unwrap();
    assert!(
        dataset(single.clone(), 1)
            .render(&mut none, &mut Quiet)
            .all_done()
    );
    for (a, b) in pooled.iter().zip(&single) {
        assert_eq!(read_wav(&a.output).channels, read_wav(&b.output).channels);
    }
}
