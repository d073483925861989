//! The drain thread: empties the recorder's ring into the audio sink (memory or a streamed
//! WAV), applies the silence rule of `--tail auto`, and says when it is done.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::Error;
use crate::recorder::RecorderStatus;
use crate::sink::{AudioWriter, Recording, Sink, StopOnSilence};

/// How long the drain thread naps when the ring is empty: long enough not to disturb the JACK
/// chain with wake-ups, short against the ring's second of audio.
const DRAIN_NAP: Duration = Duration::from_millis(1);

/// The thread that empties the ring. It ends when the callback has finished and the ring is
/// empty, or when `abort` is set (the server died) and the ring is empty.
///
/// Public so that its throughput can be benchmarked without a server.
#[derive(Debug)]
pub struct Drain {
    handle: JoinHandle<Result<Recording, Error>>,
    abort: Arc<AtomicBool>,
}

impl Drain {
    /// Starts draining `ring` (interleaved `channels`) into `sink`; `status.finished` tells it
    /// that no more audio will come.
    pub fn spawn(
        mut ring: rtrb::Consumer<f32>,
        channels: usize,
        sample_rate: u32,
        sink: Sink,
        silence: Option<StopOnSilence>,
        status: Arc<RecorderStatus>,
    ) -> Result<Drain, Error> {
        let abort = Arc::new(AtomicBool::new(false));
        let mut output = AudioWriter::open(&sink, channels, sample_rate)?;
        let thread_abort = abort.clone();
        let handle = std::thread::Builder::new()
            .name("pycarla-drain".into())
            .spawn(move || {
                lower_priority();
                let failed = status.clone();
                let result = (move || {
                    let mut frames = 0u64;
                    let mut quiet_run = 0u64;
                    let mut silent_end = false;
                    loop {
                        // Read `finished` before looking at the ring: whatever was pushed before it
                        // was set is visible now, so an empty ring then means the end.
                        let done = status.finished.load(Ordering::Acquire)
                            || thread_abort.load(Ordering::Acquire);
                        let available = ring.slots() / channels.max(1) * channels;
                        if available == 0 {
                            if done {
                                break;
                            }
                            std::thread::sleep(DRAIN_NAP);
                            continue;
                        }
                        let chunk = ring.read_chunk(available).expect("slots checked");
                        let (first, second) = chunk.as_slices();
                        for slice in [first, second] {
                            if silent_end {
                                break;
                            }
                            let keep = silence
                                .and_then(|s| s.keep(&mut quiet_run, frames, slice, channels))
                                .map(|keep| {
                                    silent_end = true;
                                    status.stop.store(true, Ordering::Release);
                                    keep * channels
                                })
                                .unwrap_or(slice.len());
                            output.write(&slice[..keep])?;
                            frames += (keep / channels.max(1)) as u64;
                        }
                        chunk.commit_all();
                        if silent_end {
                            // Whatever the callback still records past the end is dropped.
                            if done {
                                break;
                            }
                            std::thread::sleep(DRAIN_NAP);
                        }
                    }
                    Ok::<_, Error>(output.finish(frames, sample_rate)?)
                })();
                if result.is_err() {
                    // The callback must not wait for a ring nobody empties: end the take.
                    failed.drain_failed.store(true, Ordering::Release);
                    failed.stop.store(true, Ordering::Release);
                }
                result
            })
            .map_err(|source| Error::Thread { source })?;
        Ok(Drain { handle, abort })
    }

    /// Tells the drain to end once the ring is empty, even if the callback never finishes (the
    /// server died).
    pub fn abort(&self) {
        self.abort.store(true, Ordering::Release);
    }

    /// Waits for the drain to end and returns the recording.
    pub fn join(self) -> Result<Recording, Error> {
        self.handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}
/// Makes the calling thread yield to others (nice 10): in freewheel the JACK threads are not
/// realtime, and on a machine with few cores the disk thread must not delay their wake-ups.
fn lower_priority() {
    // SAFETY: setpriority on the calling thread's own id (Linux: per-thread nice value).
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}
