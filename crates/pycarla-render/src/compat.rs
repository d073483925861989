//! pycarla's classes in Rust: `MidiPlayer` and `AudioRecorder` that start on the same frame,
//! with scope-based cleanup instead of context managers.
//!
//! ```no_run
//! use pycarla_render::{AudioRecorder, MidiPlayer};
//! # fn main() -> Result<(), pycarla_render::Error> {
//! let (server, midi, audio) = ("pycarla-0", "Carla:events-in", "Carla:audio-out*");
//! let duration = pycarla_render::get_smf_duration("song.mid")?;
//! let mut player = MidiPlayer::new(server, midi);
//! let mut recorder = AudioRecorder::new(server, audio);
//! // pycarla: recorder.start(duration + FINAL_DECAY, condition=player.is_ready)
//! recorder.start(Some(duration + 2.0), Some(&player))?;
//! player.synthesize_midi_file("song.mid", false)?;
//! recorder.wait(None, true, false)?;
//! recorder.save_recorded("song.wav")?;
//! # Ok(()) }
//! ```

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use audio_io::{AudioFormat, AudioWriter, Recording, Sink};
use rt_core::watch::WatchState;
use rt_core::{Player, Recorder, Schedule, StartSync, client};
use smf::{Note, Timeline};

use crate::error::{Error, Result};

/// How often waits look at the state.
const POLL: Duration = Duration::from_millis(1);

/// How long a take may take to reach its callback.
const DELIVERY: Duration = Duration::from_secs(5);

/// Sends MIDI to a synth's input, sample-accurately (pycarla's `MIDIPlayer`).
#[derive(Debug)]
pub struct MidiPlayer {
    server: String,
    midi_port: String,
    /// The start of the next take, shared with a recorder started "with" this player.
    next: Arc<StartSync>,
    watch: Arc<WatchState>,
    interrupt: Option<Arc<AtomicBool>>,
    player: Option<Player>,
}

impl MidiPlayer {
    /// A player for `midi_port` (a glob, e.g. `Carla:events-in`) on `server`; its JACK client
    /// is opened at the first message.
    pub fn new(server: &str, midi_port: &str) -> Self {
        MidiPlayer {
            server: server.to_string(),
            midi_port: midi_port.to_string(),
            next: Arc::new(StartSync::new()),
            watch: Arc::new(WatchState::default()),
            interrupt: None,
            player: None,
        }
    }

    /// A flag that, once set (e.g. by a Ctrl-C handler), ends [`wait`](Self::wait) with
    /// [`rt_core::Error::Interrupted`].
    pub fn interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }

    /// Plays a timeline's messages; with `sync`, waits until all are sent.
    pub fn synthesize_messages(&mut self, timeline: &Timeline, sync: bool) -> Result<()> {
        if self.player.is_none() {
            self.player = Some(Player::open(
                &self.server,
                &self.midi_port,
                self.watch.clone(),
            )?);
        }
        let player = self.player.as_mut().expect("just opened");
        let mut schedule = Schedule::new();
        for (frame, event) in timeline.frames(player.client().sample_rate()) {
            schedule.push(frame, event.message.bytes())?;
        }
        let take = std::mem::replace(&mut self.next, Arc::new(StartSync::new()));
        player.play(schedule, take.clone())?;
        delivered(&self.watch, self.interrupt.as_deref(), || {
            player.delivered()
        })?;
        take.arm();
        if sync {
            self.wait(None, false, false)?;
        }
        Ok(())
    }

    /// Plays a MIDI file (pycarla's `synthesize_midi_file`).
    pub fn synthesize_midi_file(&mut self, path: impl AsRef<Path>, sync: bool) -> Result<()> {
        self.synthesize_messages(&Timeline::from_path(path)?, sync)
    }

    /// Plays one note with its pedals and program (pycarla's `synthesize_midi_note`).
    pub fn synthesize_midi_note(&mut self, note: &Note, sync: bool) -> Result<()> {
        self.synthesize_messages(&note.timeline()?, sync)
    }

    /// Whether the current take has started playing (pycarla's `is_ready`).
    pub fn is_ready(&self) -> bool {
        self.player
            .as_ref()
            .is_some_and(|p| p.played() > 0 || p.is_done())
    }

    /// Waits until every message is sent, or `timeout`; freewheel is `in_fw` meanwhile and
    /// `out_fw` afterwards. Returns whether the timeout was reached.
    pub fn wait(&mut self, timeout: Option<Duration>, in_fw: bool, out_fw: bool) -> Result<bool> {
        let Some(player) = &self.player else {
            return Ok(false);
        };
        client::set_freewheel(player.client(), in_fw);
        let result = wait_until(&self.watch, self.interrupt.as_deref(), timeout, || {
            player.is_done()
        });
        client::set_freewheel(player.client(), out_fw);
        if let Some(error) = player.losses() {
            return Err(error.into());
        }
        result
    }

    /// Turns the server's freewheel on or off through this player's client (nothing before
    /// its client opens): a server left freewheeling refuses new clients.
    pub fn set_freewheel(&self, on: bool) {
        if let Some(player) = &self.player {
            client::set_freewheel(player.client(), on);
        }
    }

    /// Forgets the current messages and closes the client (pycarla's `clear`).
    pub fn clear(&mut self) {
        if let Some(player) = self.player.take() {
            player.close();
        }
    }
}

/// Records a synth's outputs (pycarla's `AudioRecorder`).
#[derive(Debug)]
pub struct AudioRecorder {
    server: String,
    audio_ports: String,
    watch: Arc<WatchState>,
    interrupt: Option<Arc<AtomicBool>>,
    recorder: Option<Recorder>,
    recorded: Recording,
}

impl AudioRecorder {
    /// A recorder of the ports matching `audio_ports` (e.g. `Carla:audio-out*`) on `server`;
    /// its JACK client is opened at the first [`start`](Self::start).
    pub fn new(server: &str, audio_ports: &str) -> Self {
        AudioRecorder {
            server: server.to_string(),
            audio_ports: audio_ports.to_string(),
            watch: Arc::new(WatchState::default()),
            interrupt: None,
            recorder: None,
            recorded: Recording::default(),
        }
    }

    /// A flag that, once set (e.g. by a Ctrl-C handler), ends [`wait`](Self::wait) with
    /// [`rt_core::Error::Interrupted`] (what was recorded is kept).
    pub fn interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }

    /// Starts recording `duration` seconds (`None`: until [`wait`](Self::wait) times out).
    /// With `with_player`, recording starts on the same frame as that player's next
    /// `synthesize_*` (pycarla's `condition=player.is_ready`); without, at the next cycle.
    pub fn start(&mut self, duration: Option<f64>, with_player: Option<&MidiPlayer>) -> Result<()> {
        if self.recorder.is_none() {
            self.recorder = Some(Recorder::open(
                &self.server,
                &self.audio_ports,
                self.watch.clone(),
            )?);
        }
        let recorder = self.recorder.as_mut().expect("just opened");
        let total = match duration {
            Some(seconds) if seconds >= 0.0 && seconds.is_finite() => {
                smf::ExactTime::from_secs_f64(seconds).frame(recorder.client().sample_rate())
            }
            Some(seconds) => return Err(Error::Usage(format!("duration {seconds} must be ≥ 0"))),
            None => u64::MAX,
        };
        let sync = match with_player {
            Some(player) => player.next.clone(),
            None => Arc::new(StartSync::new()),
        };
        recorder.record(total, Sink::Memory, None, sync.clone())?;
        delivered(&self.watch, self.interrupt.as_deref(), || {
            recorder.delivered()
        })?;
        if with_player.is_none() {
            sync.arm();
        }
        Ok(())
    }

    /// Waits until the recording is complete or `timeout` passes (then it stops); freewheel is
    /// `in_fw` meanwhile and `out_fw` afterwards. Returns whether the timeout was reached.
    pub fn wait(&mut self, timeout: Option<Duration>, in_fw: bool, out_fw: bool) -> Result<bool> {
        let Some(recorder) = self.recorder.as_mut() else {
            return Ok(false);
        };
        client::set_freewheel(recorder.client(), in_fw);
        let waited = wait_until(&self.watch, self.interrupt.as_deref(), timeout, || {
            recorder.is_done()
        });
        client::set_freewheel(recorder.client(), out_fw);
        let losses = recorder.losses();
        self.recorded = recorder.finish(waited.is_err())?;
        if let Some(error) = losses {
            return Err(error.into());
        }
        waited
    }

    /// The recorded audio, one buffer per channel (pycarla's `recorded`).
    pub fn recorded(&self) -> &[Vec<f32>] {
        &self.recorded.channels
    }

    /// Writes the recording as a 32-bit float WAV (pycarla's `save_recorded`), through the
    /// audio sink the renders use.
    pub fn save_recorded(&self, path: impl AsRef<Path>) -> Result<()> {
        let sink = Sink::File {
            path: path.as_ref().to_path_buf(),
            format: AudioFormat::Float32,
        };
        let channels = &self.recorded.channels;
        let mut writer = AudioWriter::open(&sink, channels.len(), self.recorded.sample_rate)?;
        let mut interleaved = Vec::with_capacity(channels.len() * 4096);
        for start in (0..self.recorded.frames as usize).step_by(4096) {
            let end = (start + 4096).min(self.recorded.frames as usize);
            interleaved.clear();
            for frame in start..end {
                interleaved.extend(channels.iter().map(|channel| channel[frame]));
            }
            writer.write(&interleaved)?;
        }
        writer.finish(self.recorded.frames, self.recorded.sample_rate)?;
        Ok(())
    }

    /// Turns the server's freewheel on or off through this recorder's client (nothing before
    /// its client opens): a server left freewheeling refuses new clients.
    pub fn set_freewheel(&self, on: bool) {
        if let Some(recorder) = &self.recorder {
            client::set_freewheel(recorder.client(), on);
        }
    }

    /// Forgets the recorded audio (pycarla's `clear`).
    pub fn clear(&mut self) {
        self.recorded = Recording::default();
    }
}

/// Waits until a callback holds its new take.
fn delivered(
    watch: &WatchState,
    interrupt: Option<&AtomicBool>,
    done: impl Fn() -> bool,
) -> Result<()> {
    if wait_until(watch, interrupt, Some(DELIVERY), done)? {
        return Err(rt_core::Error::Timeout {
            seconds: DELIVERY.as_secs_f64(),
            done_frames: 0,
            total_frames: 0,
        }
        .into());
    }
    Ok(())
}

/// Polls `done` until true, a fault, an interrupt, or the timeout (`Ok(true)`).
fn wait_until(
    watch: &WatchState,
    interrupt: Option<&AtomicBool>,
    timeout: Option<Duration>,
    done: impl Fn() -> bool,
) -> Result<bool> {
    let started = Instant::now();
    loop {
        if done() {
            return Ok(false);
        }
        if let Some(fault) = watch.fault() {
            return Err(fault.into());
        }
        if interrupt.is_some_and(|flag| flag.load(Ordering::Relaxed)) {
            return Err(rt_core::Error::Interrupted { done_frames: 0 }.into());
        }
        if timeout.is_some_and(|t| started.elapsed() > t) {
            return Ok(true);
        }
        std::thread::sleep(POLL);
    }
}
