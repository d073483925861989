//! Parse + timeline of the largest shared MIDI file, reported as events per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn largest_shared_file() -> (String, Vec<u8>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/midi");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/data/midi")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "mid"))
        .collect();
    files.sort_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0));
    let path = files.pop().expect("a shared MIDI file");
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    (name, std::fs::read(path).expect("readable"))
}

fn parse_and_timeline(c: &mut Criterion) {
    let (name, bytes) = largest_shared_file();
    let events = smf::Timeline::parse(&bytes).expect("valid").events().len();
    let mut group = c.benchmark_group("smf");
    group.throughput(Throughput::Elements(events as u64));
    group.bench_function(format!("parse+timeline {name} ({events} events)"), |b| {
        b.iter(|| {
            let timeline = smf::Timeline::parse(std::hint::black_box(&bytes)).expect("valid");
            // Frames at 48 kHz, as a render computes them.
            timeline.frames(48_000).map(|(f, _)| f).sum::<u64>()
        })
    });
    group.finish();
}

criterion_group!(benches, parse_and_timeline);
criterion_main!(benches);
