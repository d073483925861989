//! The player's per-cycle work with 10,000 scheduled events: find the events due in the cycle
//! (binary search) and write each at its offset — the callback's logic, with a plain buffer in
//! place of the JACK MIDI port.

use criterion::{Criterion, criterion_group, criterion_main};
use rt_core::Schedule;
use rt_core::schedule::{due, offset};

fn schedule_of_10k() -> Schedule {
    let mut schedule = Schedule::new();
    // 10,000 note events over 200 seconds at 48 kHz, some simultaneous.
    for i in 0..10_000u64 {
        let frame = i * 960 + (i % 3) * 7;
        schedule.push(frame, &[0x90, (i % 128) as u8, 100]).unwrap();
    }
    schedule
}

fn player_cycles(c: &mut Criterion) {
    let schedule = schedule_of_10k();
    let mut group = c.benchmark_group("player");
    for period in [128u32, 1024] {
        let cycles = schedule.last_frame().unwrap() / u64::from(period) + 1;
        group.throughput(criterion::Throughput::Elements(cycles));
        group.bench_function(format!("all cycles of 10k events, period {period}"), |b| {
            let mut buffer = [0u8; 4096];
            b.iter(|| {
                let (mut cursor, mut cycle, mut written) = (0usize, 0u64, 0usize);
                while cursor < schedule.len() {
                    let range = due(schedule.frames(), cursor, cycle, period);
                    for index in range.clone() {
                        let (frame, bytes) = schedule.get(index);
                        let at = offset(frame, cycle) as usize % (buffer.len() - 3);
                        buffer[at..at + bytes.len()].copy_from_slice(bytes);
                        written += 1;
                    }
                    cursor = range.end;
                    cycle += u64::from(period);
                }
                std::hint::black_box(buffer[0] as usize + written)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, player_cycles);
criterion_main!(benches);
