//! The recorder's drain: interleaved stereo frames through the rtrb ring into memory and into a
//! 32-bit float WAV, as frames per second.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use audio_io::{Sink, WavFormat};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rt_core::internals::{Drain, RecorderStatus};

const FRAMES: usize = 480_000; // ten seconds of stereo at 48 kHz
const CHUNK: usize = 1024;

fn drain(sink: Sink) {
    let (mut producer, consumer) = rtrb::RingBuffer::new(48_000 * 2);
    let status = Arc::new(RecorderStatus::default());
    let drain = Drain::spawn(consumer, 2, 48_000, sink, None, status.clone()).unwrap();
    let block = vec![0.25f32; CHUNK * 2];
    let mut sent = 0;
    while sent < FRAMES {
        if let Ok(chunk) = producer.write_chunk_uninit(CHUNK * 2) {
            chunk.fill_from_iter(block.iter().copied());
            sent += CHUNK;
        } else {
            std::hint::spin_loop();
        }
    }
    status.finished.store(true, Ordering::Release);
    let recording = drain.join().unwrap();
    assert_eq!(recording.frames as usize, sent);
}

fn recorder_drain(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("recorder drain");
    group.throughput(Throughput::Elements(FRAMES as u64));
    group.sample_size(20);
    group.bench_function("stereo to memory", |b| b.iter(|| drain(Sink::Memory)));
    let path = dir.path().join("drain.wav");
    group.bench_function("stereo to f32 WAV", |b| {
        b.iter(|| {
            drain(Sink::File {
                path: path.clone(),
                format: WavFormat::Float32,
            })
        })
    });
    group.finish();
}

criterion_group!(benches, recorder_drain);
criterion_main!(benches);
