//! The recorder: a JACK client whose process callback copies audio into a ring; the drain
//! thread (`drain`) empties the ring into the audio sink.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use jack::{AsyncClient, AudioIn, Client, Control, Port, ProcessHandler, ProcessScope};

use crate::client::{self, unique_client_name};
use crate::drain::Drain;
use crate::error::Error;
use crate::error::jack_error;
use crate::mailbox::{Mailbox, Postman, mailbox};
use crate::schedule;
#[cfg(test)]
use crate::sink::WavFormat;
use crate::sink::{Recording, Sink, StopOnSilence};
use crate::sync::StartSync;
use crate::watch::{Watch, WatchState};

/// A recorder: one input per synth output, connected, kept active across takes. Each
/// [`record`](Recorder::record) mails its callback a new ring and frame count, recorded from
/// that take's start frame into a [`Sink`] by a drain thread. Dropping it ends the current
/// take (finalizing its WAV) and deactivates the client.
#[derive(Debug)]
pub struct Recorder {
    client: Option<AsyncClient<Watch, RecorderProcess>>,
    postman: Postman<RecorderJob>,
    channels: usize,
    synth_clients: Vec<String>,
    take: Option<Take>,
}

/// The current take: its drain thread and what its callback reports.
#[derive(Debug)]
struct Take {
    drain: Drain,
    status: Arc<RecorderStatus>,
    total: u64,
}

/// The longest take: relative frames are 32-bit signed (see [`StartSync`]).
pub const MAX_TAKE_FRAMES: u64 = (1 << 31) - 1;

/// A take must fit the frame clock, and a WAV its 32-bit data size.
fn check_length(total: u64, sink: &Sink, channels: usize) -> Result<(), Error> {
    let bounded = total != u64::MAX;
    if bounded && total > MAX_TAKE_FRAMES {
        return Err(Error::TooLong {
            frames: total,
            max: MAX_TAKE_FRAMES,
        });
    }
    if let Sink::File { path, format } = sink
        && let Some(bytes_per_sample) = format.wav_bytes_per_sample()
    {
        let bytes_per_frame = channels.max(1) as u64 * bytes_per_sample;
        let max = (u64::from(u32::MAX) - 1024) / bytes_per_frame;
        if !bounded || total > max {
            return Err(Error::WavTooLarge {
                path: path.clone(),
                frames: total,
                max,
            });
        }
    }
    Ok(())
}

/// How long [`Recorder::finish`] waits for the callback to notice a stop before it stops
/// waiting for it (the server may be gone).
const FINISH_GRACE: Duration = Duration::from_secs(1);

impl Recorder {
    /// Activates a recorder on `server` of every port matching `audio_ports` (one channel each,
    /// in JACK's port order); it records nothing until [`record`](Recorder::record).
    pub fn open(
        server: &str,
        audio_ports: &str,
        watch: Arc<WatchState>,
    ) -> Result<Recorder, Error> {
        let jack = client::open(&unique_client_name("rec"), server)?;
        let (mut recorder, process, connections) =
            Recorder::on_client(&jack, audio_ports, watch.clone())?;
        let client = jack
            .activate_async(Watch::new(watch, recorder.synth_clients.clone()), process)
            .map_err(jack_error("activating the recorder"))?;
        connections.connect(client.as_client())?;
        recorder.client = Some(client);
        Ok(recorder)
    }

    /// A recorder whose callback will run in `jack` (not yet activated): the recorder without
    /// a client, its process handler, and the connections to make once `jack` is active.
    pub(crate) fn on_client(
        jack: &Client,
        audio_ports: &str,
        watch: Arc<WatchState>,
    ) -> Result<(Recorder, RecorderProcess, AudioConnections), Error> {
        let sources = client::require_ports(jack, audio_ports, client::PortKind::AudioOutput)?;
        let mut ports = Vec::with_capacity(sources.len());
        for index in 0..sources.len() {
            ports.push(
                jack.register_port(&format!("in_{}", index + 1), AudioIn::default())
                    .map_err(jack_error("registering a recorder input"))?,
            );
        }
        let own = ports
            .iter()
            .map(|p| p.name().map_err(jack_error("naming a recorder input")))
            .collect::<Result<Vec<String>, Error>>()?;
        let mut synth_clients: Vec<String> = sources
            .iter()
            .map(|p| client::client_of(p).to_string())
            .collect();
        synth_clients.sort();
        synth_clients.dedup();
        let (postman, mailbox) = mailbox();
        let recorder = Recorder {
            client: None,
            postman,
            channels: sources.len(),
            synth_clients,
            take: None,
        };
        let process = RecorderProcess::new(ports, mailbox, watch);
        Ok((
            recorder,
            process,
            AudioConnections {
                pairs: sources.into_iter().zip(own).collect(),
            },
        ))
    }

    /// Starts a take of `total` frames (`u64::MAX`: until stopped) from `sync`'s start into
    /// `sink`, ending early on `silence`. Arm only once [`delivered`](Recorder::delivered).
    pub fn record(
        &mut self,
        total: u64,
        sink: Sink,
        silence: Option<StopOnSilence>,
        sync: Arc<StartSync>,
    ) -> Result<(), Error> {
        let server = (self.client().sample_rate(), self.client().buffer_size());
        self.record_at(server, total, sink, silence, sync)
    }

    /// [`record`](Recorder::record) on a server running at `sample_rate` with `period` frames a
    /// cycle (a recorder inside a session's shared client has no client of its own to ask).
    pub(crate) fn record_at(
        &mut self,
        (sample_rate, period): (u32, u32),
        total: u64,
        sink: Sink,
        silence: Option<StopOnSilence>,
        sync: Arc<StartSync>,
    ) -> Result<(), Error> {
        if self.take.is_some() {
            return Err(Error::Busy { what: "recorder" });
        }
        check_length(total, &sink, self.channels)?;
        // Room for a second of audio or 64 periods, whichever is larger: the drain thread naps
        // a millisecond when the ring is empty, and in freewheel the callback waits for it. A
        // freewheel cycle at 4096 takes about 0.15 ms, so a nap lets 6 or 7 periods in: with
        // room for 16 the callback waited in 1 cycle of 40 (measured on a 322 s file), with 64
        // in none, and the render took 0.65 s instead of 0.75 s. Whole frames only, so that
        // both slices of any chunk hold whole frames.
        let frames = sample_rate.max(period * 64) as usize;
        let (producer, consumer) = rtrb::RingBuffer::new(frames * self.channels);
        let status = Arc::new(RecorderStatus::default());
        let drain = Drain::spawn(
            consumer,
            self.channels,
            sample_rate,
            sink,
            silence,
            status.clone(),
        )?;
        let job = RecorderJob::new(producer, total, sync, status.clone());
        if self.postman.send(job).is_err() {
            drain.abort();
            let _ = drain.join();
            return Err(Error::Busy { what: "recorder" });
        }
        self.take = Some(Take {
            drain,
            status,
            total,
        });
        Ok(())
    }

    /// Whether the callback holds the current take.
    pub fn delivered(&self) -> bool {
        self.postman.delivered()
    }

    /// The JACK client, e.g. to set freewheel. Recorders handed out ([`Recorder::open`]) have
    /// one of their own until dropped.
    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a recorder opened on its own has its client until dropped")
            .as_client()
    }

    /// Channels recorded.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The synth clients recorded from.
    pub fn synth_clients(&self) -> &[String] {
        &self.synth_clients
    }

    /// Frames of the current take recorded so far, and frames asked for.
    pub fn progress(&self) -> (u64, u64) {
        self.take.as_ref().map_or((0, 0), |take| {
            (take.status.recorded.load(Ordering::Relaxed), take.total)
        })
    }

    /// Whether the current take is complete (all frames, stopped, or silence reached).
    pub fn is_done(&self) -> bool {
        self.take.as_ref().is_none_or(|take| {
            take.status.finished.load(Ordering::Acquire)
                || take.status.drain_failed.load(Ordering::Acquire)
        })
    }

    /// Asks the callback to stop the current take at the next cycle.
    pub fn stop(&self) {
        if let Some(take) = &self.take {
            take.status.stop.store(true, Ordering::Release);
        }
    }

    /// Frames of the current take lost to a full ring, as an error.
    pub fn losses(&self) -> Option<Error> {
        let take = self.take.as_ref()?;
        let skipped = take.status.skipped.load(Ordering::Relaxed);
        if skipped > 0 {
            return Some(Error::SkippedCycles { frames: skipped });
        }
        let frames = take.status.lost.load(Ordering::Relaxed);
        (frames > 0).then_some(Error::RingOverflow { frames })
    }

    /// Ends the current take and closes its sink (a WAV holds what was recorded). With `abort`
    /// (the server or synth died) the drain does not wait for the callback.
    pub fn finish(&mut self, abort: bool) -> Result<Recording, Error> {
        let Some(take) = self.take.take() else {
            return Ok(Recording::default());
        };
        tracing::debug!(
            waits = take.status.waits.load(Ordering::Relaxed),
            "cycles in which the recorder waited for the drain thread"
        );
        take.status.stop.store(true, Ordering::Release);
        if !abort {
            let deadline = std::time::Instant::now() + FINISH_GRACE;
            while !take.status.finished.load(Ordering::Acquire)
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        take.drain.abort();
        take.drain.join()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.finish(true);
        if let Some(client) = self.client.take() {
            let _ = client.deactivate();
        }
    }
}

/// Writes `samples` into channel `channel` of the interleaved frames of `out`, one frame of
/// `channels` slots each: a strided copy without per-sample slice arithmetic (this copy is the
/// recorder's main cost in a cycle).
fn interleave(
    out: &mut [std::mem::MaybeUninit<f32>],
    samples: &[f32],
    channel: usize,
    channels: usize,
) {
    for (frame, &sample) in out.chunks_exact_mut(channels.max(1)).zip(samples) {
        if let Some(slot) = frame.get_mut(channel) {
            *slot = std::mem::MaybeUninit::new(sample);
        }
    }
}

/// The synth's outputs and the recorder's inputs they go to, connected once the client is
/// active.
#[derive(Debug)]
pub(crate) struct AudioConnections {
    pairs: Vec<(String, String)>,
}

impl AudioConnections {
    /// Connects each synth output to its recorder input.
    pub(crate) fn connect(&self, client: &Client) -> Result<(), Error> {
        for (source, own) in &self.pairs {
            client
                .connect_ports_by_name(source, own)
                .map_err(jack_error("connecting the synth to the recorder"))?;
        }
        Ok(())
    }
}

/// Spins the callback may make waiting for ring space, in freewheel only (about a second):
/// freewheel has no deadline, so waiting for the drain thread loses nothing; past the bound the
/// drain thread is presumed stuck and frames are counted lost rather than hanging the server.
const FREEWHEEL_SPIN_LIMIT: u64 = 1 << 28;

/// What the recorder reports to other threads.
#[derive(Debug, Default)]
pub struct RecorderStatus {
    /// Frames copied into the ring.
    pub recorded: AtomicU64,
    /// Frames lost to a full ring.
    pub lost: AtomicU64,
    /// Cycles in which the callback waited for the drain thread (freewheel only).
    pub waits: AtomicU64,
    /// Frames of cycles the callback never saw (the server skipped them: realtime xruns).
    pub skipped: AtomicU64,
    /// The drain thread failed (e.g. the disk is full): the take ends.
    pub drain_failed: AtomicBool,
    /// The callback has recorded all it will.
    pub finished: AtomicBool,
    /// Asks the callback to stop at the next cycle (a recording of unbounded length, or abort).
    pub stop: AtomicBool,
}

/// One render's work for the recorder: the ring to fill, how many frames, the start it
/// follows and where it reports.
#[derive(Debug)]
pub struct RecorderJob {
    ring: rtrb::Producer<f32>,
    total: u64,
    /// The cycle expected next (relative frames), to notice skipped cycles.
    next_cycle: u64,
    sync: Arc<StartSync>,
    status: Arc<RecorderStatus>,
}

impl RecorderJob {
    /// A job recording `total` frames (`u64::MAX`: until stopped) into `ring`, interleaved.
    pub fn new(
        ring: rtrb::Producer<f32>,
        total: u64,
        sync: Arc<StartSync>,
        status: Arc<RecorderStatus>,
    ) -> Box<Self> {
        Box::new(RecorderJob {
            ring,
            total,
            next_cycle: 0,
            sync,
            status,
        })
    }

    /// Waits for room for `samples` samples, in freewheel only; returns the room there is.
    fn room_for(&self, samples: usize, watch: &WatchState) -> usize {
        let mut spins = 0;
        if self.ring.slots() < samples {
            self.status.waits.fetch_add(1, Ordering::Relaxed);
        }
        while self.ring.slots() < samples
            && watch.freewheel.load(Ordering::Relaxed)
            && !self.ring.is_abandoned()
            && !self.status.stop.load(Ordering::Relaxed)
            && spins < FREEWHEEL_SPIN_LIMIT
        {
            std::hint::spin_loop();
            spins += 1;
        }
        self.ring.slots()
    }
}

/// The recorder's process handler: allocation-free, lock-free, no system calls. Owns its input
/// ports and the current job; takes new jobs from its mailbox between cycles.
#[derive(Debug)]
pub struct RecorderProcess {
    ports: Vec<Port<AudioIn>>,
    job: Option<Box<RecorderJob>>,
    mailbox: Mailbox<RecorderJob>,
    watch: Arc<WatchState>,
}

impl RecorderProcess {
    /// A recorder of `ports`, idle until a job arrives in its `mailbox`; `watch` tells it
    /// whether the server freewheels.
    pub fn new(
        ports: Vec<Port<AudioIn>>,
        mailbox: Mailbox<RecorderJob>,
        watch: Arc<WatchState>,
    ) -> Self {
        RecorderProcess {
            ports,
            job: None,
            mailbox,
            watch,
        }
    }
}

impl ProcessHandler for RecorderProcess {
    fn process(&mut self, _: &Client, scope: &ProcessScope) -> Control {
        self.record_cycle(scope, scope.last_frame_time());
        Control::Continue
    }
}

impl RecorderProcess {
    /// Records this cycle's input as the audio of the cycle that began at frame `cycle_start`:
    /// this cycle's first frame for a recorder of its own, the previous cycle's when the synth's
    /// outputs come back through a feedback connection (`duplex`).
    pub(crate) fn record_cycle(&mut self, scope: &ProcessScope, cycle_start: u32) {
        self.mailbox.collect(&mut self.job);
        let Some(job) = self.job.as_deref_mut() else {
            return;
        };
        if job.status.finished.load(Ordering::Relaxed) {
            return;
        }
        if job.status.stop.load(Ordering::Acquire) {
            // Stopped (by the caller, by silence, or by a failed drain): nothing after the
            // stop belongs to the recording, so nothing more is written — or counted lost.
            job.status.finished.store(true, Ordering::Release);
            return;
        }
        let n = scope.n_frames();
        let Some(cycle) = job.sync.relative(cycle_start, n) else {
            return;
        };
        if cycle > job.next_cycle {
            // Cycles the server never ran for this client: their frames are missing from the
            // recording, which would otherwise come out short and shifted. Count them.
            let missing = job.total.min(cycle) - job.next_cycle.min(job.total);
            job.status.skipped.fetch_add(missing, Ordering::Relaxed);
        }
        job.next_cycle = cycle + u64::from(n);
        let channels = self.ports.len();
        let wanted = schedule::frames_to_record(cycle, n, job.total) as usize;
        let fit = wanted.min(job.room_for(wanted * channels, &self.watch) / channels.max(1));
        if fit < wanted && job.status.stop.load(Ordering::Acquire) {
            // Stopped while waiting for room: the rest is past the end of the recording.
            job.status.finished.store(true, Ordering::Release);
            return;
        }
        if let Ok(mut chunk) = job.ring.write_chunk_uninit(fit * channels) {
            let (first, second) = chunk.as_mut_slices();
            // The ring holds whole frames, so each slice does too: the first takes the first
            // `split` frames of the cycle, the second the rest.
            let split = first.len() / channels.max(1);
            for (channel, port) in self.ports.iter().enumerate() {
                let input = port.as_slice(scope);
                let input = &input[..fit.min(input.len())];
                let (head, tail) = input.split_at(split.min(input.len()));
                interleave(first, head, channel, channels);
                interleave(second, tail, channel, channels);
            }
            // SAFETY: every slot of both slices was written above (fit frames × channels).
            unsafe { chunk.commit_all() };
        }
        job.status.recorded.fetch_add(fit as u64, Ordering::Release);
        if fit < wanted {
            job.status
                .lost
                .fetch_add((wanted - fit) as u64, Ordering::Relaxed);
        }
        if cycle + u64::from(n) >= job.total {
            job.status.finished.store(true, Ordering::Release);
        }
    }
}
#[cfg(test)]
mod length_tests {
    use super::*;

    #[test]
    fn takes_beyond_the_frame_clock_or_a_wav_are_refused_up_front() {
        let wav = Sink::File {
            path: "x.wav".into(),
            format: WavFormat::Float32,
        };
        assert!(check_length(48_000, &wav, 2).is_ok());
        assert!(matches!(
            check_length(MAX_TAKE_FRAMES + 1, &Sink::Memory, 2),
            Err(Error::TooLong { .. })
        ));
        // 4 GiB of stereo float is 536,870,784 frames: 3.1 hours at 48 kHz.
        assert!(matches!(
            check_length(600_000_000, &wav, 2),
            Err(Error::WavTooLarge { .. })
        ));
        assert!(matches!(
            check_length(u64::MAX, &wav, 2),
            Err(Error::WavTooLarge { .. })
        ));
        assert!(check_length(u64::MAX, &Sink::Memory, 2).is_ok());
    }
}

#[cfg(test)]
mod interleave_tests {
    use std::mem::MaybeUninit;

    use super::interleave;

    #[test]
    fn each_channel_lands_in_its_slot_of_every_frame_across_both_slices() {
        let (left, right) = ([1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]);
        // A ring's chunk that wraps after two frames: 4 slots, then 2.
        let mut first = [MaybeUninit::new(0.0f32); 4];
        let mut second = [MaybeUninit::new(0.0f32); 2];
        for (channel, input) in [left, right].iter().enumerate() {
            let (head, tail) = input.split_at(first.len() / 2);
            interleave(&mut first, head, channel, 2);
            interleave(&mut second, tail, channel, 2);
        }
        // SAFETY: every slot was initialised above.
        let read = |slots: &[MaybeUninit<f32>]| -> Vec<f32> {
            slots.iter().map(|s| unsafe { s.assume_init() }).collect()
        };
        assert_eq!(read(&first), [1.0, -1.0, 2.0, -2.0]);
        assert_eq!(read(&second), [3.0, -3.0]);
    }
}
