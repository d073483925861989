//! pycarla's classes, drop-in: `Carla`, `MIDIPlayer`, `AudioRecorder`, `get_smf_duration` —
//! on the library's supervisor and sample-accurate player and recorder.

mod client;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use numpy::PyArray2;
use pycarla::proc_supervisor::{Host, JackServer};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use self::client::Client;
use crate::errors::{IntoPy, usage};
use crate::render::Audio;
use crate::run::{Actor, interruptible};

/// The server of the last `Carla` started: where players and recorders made without a server
/// play and record (pycarla's objects all talk to "the" server).
static CURRENT_SERVER: Mutex<Option<String>> = Mutex::new(None);

/// The server a player or recorder uses when none is named: the last started `Carla`'s, else
/// `$JACK_DEFAULT_SERVER`, else `default`.
fn default_server() -> String {
    CURRENT_SERVER
        .lock()
        .ok()
        .and_then(|current| current.clone())
        .or_else(|| std::env::var("JACK_DEFAULT_SERVER").ok())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "default".into())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How `Carla` starts its server and host.
#[derive(Debug, Clone)]
struct CarlaConfig {
    server: JackServer,
    host: Host,
}

/// Carla running a project on a JACK server (pycarla's `Carla`).
///
/// With no `server_options`, the server is private and headless (dummy backend, `sample_rate`,
/// `period`), named `server_name` or one of the pool `pycarla-N`; with options (e.g.
/// `["-R", "-d", "alsa"]`) jackd gets them as pycarla gave them. Carla runs headless in
/// patchbay mode with a private configuration (`nogui` is always true). `MIDIPlayer()` and
/// `AudioRecorder()` made without a server use the last started `Carla`'s.
#[pyclass(module = "pycarla_rs", frozen)]
#[derive(Debug)]
pub struct Carla {
    config: CarlaConfig,
    actor: Actor<Option<pycarla::Carla>>,
    /// The server's name once started.
    server: Mutex<Option<String>>,
    proj_path: PathBuf,
    min_wait: f64,
}

#[pymethods]
impl Carla {
    #[new]
    #[pyo3(signature = (
        proj_path, server_options=Vec::new(), min_wait=0.0, nogui=true, *, server_name=None,
        sample_rate=48_000, period=1024, ready_timeout=20.0
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        proj_path: PathBuf,
        server_options: Vec<String>,
        min_wait: f64,
        nogui: bool,
        server_name: Option<String>,
        sample_rate: u32,
        period: u32,
        ready_timeout: f64,
    ) -> PyResult<Carla> {
        let _ = nogui;
        let seconds = |what: &str, value: f64| {
            Duration::try_from_secs_f64(value)
                .map_err(|_| usage(py, format!("{what}={value}: expected seconds ≥ 0")))
        };
        let mut server = if server_options.is_empty() {
            JackServer::dummy().sample_rate(sample_rate).period(period)
        } else {
            JackServer::with_args(server_options)
        };
        if let Some(name) = server_name {
            server = server.name(name);
        }
        let project = std::path::absolute(&proj_path).unwrap_or(proj_path.clone());
        let actor = Actor::spawn("pycarla-carla", |_| None);
        // pycarla's players and recorders find Carla by its client name: keep pycarla's `Carla`.
        let host = Host::carla(pycarla::find_carla(), project)
            .client_name("Carla")
            .min_wait(seconds("min_wait", min_wait)?)
            .ready_timeout(seconds("ready_timeout", ready_timeout)?)
            .interrupt(actor.interrupt.clone());
        Ok(Carla {
            config: CarlaConfig { server, host },
            actor,
            server: Mutex::new(None),
            proj_path,
            min_wait,
        })
    }

    /// Starts the server, then Carla, and waits until Carla is ready (its ports exist and it
    /// said so) and `min_wait` more seconds. Nothing when both already run.
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        let config = self.config.clone();
        let name = self
            .actor
            .call(py, move |slot| {
                if let Some(running) = slot.as_ref().filter(|s| s.is_alive()) {
                    return Ok(running.server().name().to_string());
                }
                *slot = None;
                let started = pycarla::Carla::start(&config.server, &config.host)?;
                let name = started.server().name().to_string();
                *slot = Some(started);
                Ok::<_, pycarla::Error>(name)
            })?
            .py_err(py)?;
        *lock(&CURRENT_SERVER) = Some(name.clone());
        *lock(&self.server) = Some(name);
        Ok(())
    }

    /// Stops Carla, then the server (pycarla: "kill carla and wait for the server").
    fn kill(&self, py: Python<'_>) -> PyResult<()> {
        self.actor.call(py, |slot| {
            if let Some(mut running) = slot.take() {
                running.kill();
            }
        })?;
        self.forget_server();
        Ok(())
    }

    /// Stops Carla but not the server.
    fn kill_carla(&self, py: Python<'_>) -> PyResult<()> {
        self.actor.call(py, |slot| {
            if let Some(running) = slot.as_mut() {
                running.kill_host();
            }
        })
    }

    /// Restarts both the server and Carla.
    fn restart(&self, py: Python<'_>) -> PyResult<()> {
        let restarted = self
            .actor
            .call(py, |slot| match slot.as_mut() {
                Some(running) => running
                    .restart()
                    .map(|()| Some(running.server().name().to_string()))
                    .map_err(pycarla::Error::from),
                None => Ok(None),
            })?
            .py_err(py)?;
        match restarted {
            Some(name) => {
                *lock(&CURRENT_SERVER) = Some(name.clone());
                *lock(&self.server) = Some(name);
                Ok(())
            }
            None => self.start(py),
        }
    }

    /// Restarts Carla only, not the server.
    fn restart_carla(&self, py: Python<'_>) -> PyResult<()> {
        let restarted = self
            .actor
            .call(py, |slot| match slot.as_mut() {
                Some(running) => running
                    .restart_host()
                    .map(|()| true)
                    .map_err(pycarla::Error::from),
                None => Ok(false),
            })?
            .py_err(py)?;
        if restarted { Ok(()) } else { self.start(py) }
    }

    /// Whether Carla and the server run and every port glob of `ports` matches a port.
    #[pyo3(signature = (ports=vec!["Carla:events*".to_string(), "Carla:audio*".to_string()]))]
    fn exists(&self, py: Python<'_>, ports: Vec<String>) -> PyResult<bool> {
        self.actor.call(py, move |slot| {
            slot.as_ref().is_some_and(|running| {
                let patterns: Vec<&str> = ports.iter().map(String::as_str).collect();
                running.is_alive() && running.exists(&patterns).unwrap_or(false)
            })
        })
    }

    /// Waits until Carla's ports exist (at most `timeout` seconds).
    #[pyo3(signature = (timeout=20.0))]
    fn wait_exists(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        let timeout = Duration::try_from_secs_f64(timeout)
            .map_err(|_| usage(py, format!("timeout={timeout}: expected seconds ≥ 0")))?;
        self.actor
            .call(py, move |slot| match slot.as_ref() {
                Some(running) => running
                    .wait_exists(&["Carla:events*", "Carla:audio*"], timeout)
                    .map_err(pycarla::Error::from),
                None => Err(pycarla::Error::Usage("Carla is not started".into())),
            })?
            .py_err(py)
    }

    /// Carla's ports: `{"midi_in": [...], "audio_out": [...]}`.
    fn get_ports<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let ports = self
            .actor
            .call(py, |slot| match slot.as_ref() {
                Some(running) => running
                    .ports()
                    .map(|p| (p.midi_in, p.audio_out))
                    .map_err(pycarla::Error::from),
                None => Err(pycarla::Error::Usage("Carla is not started".into())),
            })?
            .py_err(py)?;
        let dict = PyDict::new(py);
        dict.set_item("midi_in", PyList::new(py, ports.0)?)?;
        dict.set_item("audio_out", PyList::new(py, ports.1)?)?;
        Ok(dict)
    }

    /// The JACK server's name once started (`None` before).
    #[getter]
    fn server_name(&self) -> Option<String> {
        lock(&self.server).clone()
    }

    /// The project Carla runs.
    #[getter]
    fn proj_path(&self) -> PathBuf {
        self.proj_path.clone()
    }

    /// Seconds waited after Carla is ready.
    #[getter]
    fn min_wait(&self) -> f64 {
        self.min_wait
    }

    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().start(slf.py())?;
        Ok(slf)
    }

    /// Kills Carla and the server; an exception goes on.
    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.kill(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "Carla({:?}, server={:?})",
            self.proj_path.display().to_string(),
            lock(&self.server).as_deref()
        )
    }
}

impl Carla {
    fn forget_server(&self) {
        let mine = lock(&self.server).take();
        let mut current = lock(&CURRENT_SERVER);
        if mine.is_some() && *current == mine {
            *current = None;
        }
    }
}

/// pycarla's `condition=`: another object's `is_ready`, or any callable.
enum Condition<'py> {
    None,
    /// `player.is_ready` / `recorder.is_ready`: start on the same frame.
    Partner(Bound<'py, PyAny>),
    /// Any callable: polled until true before starting.
    Callable(Bound<'py, PyAny>),
}

fn condition<'py>(condition: Option<Bound<'py, PyAny>>) -> Condition<'py> {
    let Some(condition) = condition.filter(|c| !c.is_none()) else {
        return Condition::None;
    };
    let is_ready = condition
        .getattr("__name__")
        .and_then(|n| n.extract::<String>())
        .is_ok_and(|n| n == "is_ready");
    match condition.getattr("__self__") {
        Ok(owner)
            if is_ready
                && (owner.cast::<MIDIPlayer>().is_ok()
                    || owner.cast::<AudioRecorder>().is_ok()) =>
        {
            Condition::Partner(owner)
        }
        _ => Condition::Callable(condition),
    }
}

/// Polls a Python callable until it returns true (Ctrl-C stops it).
fn wait_for(py: Python<'_>, condition: &Bound<'_, PyAny>) -> PyResult<()> {
    while !condition.call0()?.is_truthy()? {
        py.check_signals()?;
        py.detach(|| std::thread::sleep(Duration::from_millis(1)));
    }
    Ok(())
}

/// `timeout`, `in_fw`, `out_fw` from pycarla's `**kwargs` (passed to `wait` when `sync`).
fn wait_args(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<(Option<f64>, bool, bool)> {
    let get = |key: &str| kwargs.and_then(|k| k.get_item(key).ok().flatten());
    Ok((
        get("timeout").map(|v| v.extract()).transpose()?.flatten(),
        get("in_fw")
            .map(|v| v.extract())
            .transpose()?
            .unwrap_or(false),
        get("out_fw")
            .map(|v| v.extract())
            .transpose()?
            .unwrap_or(false),
    ))
}

fn timeout(py: Python<'_>, seconds: Option<f64>) -> PyResult<Option<Duration>> {
    seconds
        .map(|s| {
            Duration::try_from_secs_f64(s)
                .map_err(|_| usage(py, format!("timeout={s}: expected seconds ≥ 0")))
        })
        .transpose()
}

/// A timeline from mido-style messages: each with `.bytes()` (or `bytes`) and `.time`, the
/// seconds since the previous message (mido's convention when iterating a `MidiFile`); meta
/// messages are skipped. `(time, bytes)` pairs are taken the same way.
fn timeline_of(messages: &Bound<'_, PyAny>) -> PyResult<smf::Timeline> {
    use smf::{Event, ExactTime};
    let py = messages.py();
    let mut seconds = 0.0_f64;
    let mut events = Vec::new();
    for item in messages.try_iter()? {
        let item = item?;
        let (delta, bytes): (f64, Vec<u8>) = if let Ok(pair) = item.extract::<(f64, Vec<u8>)>() {
            pair
        } else {
            let delta: f64 = item.getattr("time")?.extract()?;
            if item
                .getattr("is_meta")
                .and_then(|m| m.is_truthy())
                .unwrap_or(false)
            {
                seconds += delta;
                continue;
            }
            let bytes = item.getattr("bytes")?;
            let bytes = if bytes.is_callable() {
                bytes.call0()?
            } else {
                bytes
            };
            (delta, bytes.extract()?)
        };
        if !(delta >= 0.0 && delta.is_finite()) {
            return Err(usage(
                py,
                format!("a message's time of {delta} s: it must be ≥ 0"),
            ));
        }
        seconds += delta;
        let message = crate::midi_source::message(py, &bytes)?;
        events.push(Event {
            tick: 0,
            time: ExactTime::from_secs_f64(seconds),
            track: 0,
            message,
        });
    }
    Ok(smf::Timeline::from_events(
        events,
        ExactTime::from_secs_f64(seconds),
    ))
}

/// Plays MIDI into a synth over JACK, every message on its exact frame (pycarla's
/// `MIDIPlayer`).
///
/// `server`: the JACK server (default: the last started `Carla`'s); `port`: the synth's MIDI
/// input, a glob (default `Carla:events-in`). The JACK client opens at the first message.
#[pyclass(module = "pycarla_rs", frozen, name = "MIDIPlayer")]
#[derive(Debug)]
pub struct MIDIPlayer {
    client: Client<pycarla::MidiPlayer>,
    /// The server played on.
    #[pyo3(get)]
    server: String,
    /// The MIDI input glob played into.
    #[pyo3(get)]
    port: String,
}

impl MIDIPlayer {
    fn play(
        &self,
        py: Python<'_>,
        timeline: smf::Timeline,
        sync: bool,
        condition_arg: Option<Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        // With a recorder's `is_ready`, the recorder already shares this player's next take
        // (its `start(condition=player.is_ready)`): both start on the same frame.
        if let Condition::Callable(callable) = condition(condition_arg) {
            wait_for(py, &callable)?;
        }
        let (wait_timeout, in_fw, out_fw) = wait_args(kwargs)?;
        let wait_timeout = timeout(py, wait_timeout)?;
        let client = &self.client;
        interruptible(py, &client.interrupt, || {
            let mut player = client.lock();
            player.synthesize_messages(&timeline, false)?;
            if sync {
                let wait = pycarla::MidiPlayer::wait;
                client.wait_locked(&mut player, wait_timeout, in_fw, out_fw, wait)?;
            }
            Ok::<_, pycarla::Error>(())
        })?
        .py_err(py)
    }
}

#[pymethods]
impl MIDIPlayer {
    /// pycarla's class attribute: the synth's client name.
    #[classattr]
    const MIDI_PORT: &'static str = "Carla";

    #[new]
    #[pyo3(signature = (server=None, port=None))]
    fn new(server: Option<String>, port: Option<String>) -> MIDIPlayer {
        let server = server.unwrap_or_else(default_server);
        let port = port.unwrap_or_else(|| "Carla:events-in".into());
        MIDIPlayer {
            client: Client::new(|flag| pycarla::MidiPlayer::new(&server, &port).interrupt(flag)),
            server,
            port,
        }
    }

    /// Nothing to do: the client opens and connects at the first message (kept for pycarla's
    /// code).
    fn activate(&self) {}

    /// Plays `messages` (mido messages, `.time` in seconds since the previous one, or
    /// `(seconds, bytes)` pairs). `sync`: wait until all are sent (`**kwargs` go to `wait`).
    /// `condition=recorder.is_ready` (with `recorder.start(condition=player.is_ready)` first):
    /// both start on the same frame; another callable is waited for before playing.
    #[pyo3(signature = (messages, sync=false, condition=None, **kwargs))]
    fn synthesize_messages(
        &self,
        py: Python<'_>,
        messages: Bound<'_, PyAny>,
        sync: bool,
        condition: Option<Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let timeline = timeline_of(&messages)?;
        self.play(py, timeline, sync, condition, kwargs)
    }

    /// Plays a MIDI file (a path, or a `mido.MidiFile`); keywords as `synthesize_messages`.
    #[pyo3(signature = (midifile, sync=false, condition=None, **kwargs))]
    fn synthesize_midi_file(
        &self,
        py: Python<'_>,
        midifile: Bound<'_, PyAny>,
        sync: bool,
        condition: Option<Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let timeline = match midifile.extract::<PathBuf>() {
            Ok(path) => smf::Timeline::from_path(path)
                .map_err(pycarla::Error::from)
                .py_err(py)?,
            // A mido.MidiFile: its messages, as it plays them.
            Err(_) => timeline_of(&midifile)?,
        };
        self.play(py, timeline, sync, condition, kwargs)
    }

    /// Plays one note: program, sustain (CC64), sostenuto (CC66) and soft (CC67) at time 0,
    /// note on, note off after `duration` seconds; keywords as `synthesize_messages`.
    #[pyo3(signature = (
        pitch, velocity, duration, sustain=0, soft=0, sostenuto=0, channel=0, program=0,
        sync=false, condition=None, **kwargs
    ))]
    #[allow(clippy::too_many_arguments)]
    fn synthesize_midi_note(
        &self,
        py: Python<'_>,
        pitch: i64,
        velocity: i64,
        duration: f64,
        sustain: i64,
        soft: i64,
        sostenuto: i64,
        channel: i64,
        program: i64,
        sync: bool,
        condition: Option<Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let note = smf::Note {
            pitch,
            velocity,
            duration,
            sustain,
            soft,
            sostenuto,
            channel,
            program,
        };
        let timeline = note.timeline().map_err(pycarla::Error::from).py_err(py)?;
        self.play(py, timeline, sync, condition, kwargs)
    }

    /// Whether the current take has started playing.
    fn is_ready(&self) -> bool {
        self.client.lock().is_ready()
    }

    /// Waits until every message is sent, or `timeout` seconds; the server freewheels meanwhile
    /// if `in_fw`, and afterwards if `out_fw`. Returns whether the timeout was reached.
    #[pyo3(signature = (timeout=None, in_fw=false, out_fw=false))]
    fn wait(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        in_fw: bool,
        out_fw: bool,
    ) -> PyResult<bool> {
        self.client
            .wait(py, timeout, in_fw, out_fw, pycarla::MidiPlayer::wait)
    }

    /// Forgets the messages and closes the JACK client.
    fn clear(&self) {
        self.client.lock().clear();
    }

    /// Closes the JACK client (pycarla's `close`); a server this player left freewheeling
    /// (`out_fw=True`) leaves freewheel first, as it refuses new clients while in it.
    fn close(&self) {
        self.client
            .leave_freewheel(pycarla::MidiPlayer::set_freewheel)
            .clear();
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the JACK client; an exception goes on.
    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, _exc_info: &Bound<'_, PyTuple>) -> bool {
        self.close();
        false
    }
}

/// Records a synth's outputs over JACK (pycarla's `AudioRecorder`); `recorded` is a
/// `(channels, frames)` float32 array.
///
/// `server`: the JACK server (default: the last started `Carla`'s); `ports`: the synth's
/// audio outputs, a glob (default `Carla:audio-out*`), one channel each.
#[pyclass(module = "pycarla_rs", frozen, name = "AudioRecorder")]
#[derive(Debug)]
pub struct AudioRecorder {
    client: Client<pycarla::AudioRecorder>,
    started: AtomicBool,
    /// The server recorded from.
    #[pyo3(get)]
    server: String,
    /// The audio outputs glob recorded.
    #[pyo3(get)]
    ports: String,
}

#[pymethods]
impl AudioRecorder {
    /// pycarla's class attribute: the synth's client name.
    #[classattr]
    const AUDIO_PORT: &'static str = "Carla";

    #[new]
    #[pyo3(signature = (server=None, ports=None))]
    fn new(server: Option<String>, ports: Option<String>) -> AudioRecorder {
        let server = server.unwrap_or_else(default_server);
        let ports = ports.unwrap_or_else(|| "Carla:audio-out*".into());
        AudioRecorder {
            client: Client::new(|flag| {
                pycarla::AudioRecorder::new(&server, &ports).interrupt(flag)
            }),
            started: AtomicBool::new(false),
            server,
            ports,
        }
    }

    /// Nothing to do: the client opens and connects at the first `start` (kept for pycarla's
    /// code).
    fn activate(&self) {}

    /// Records `duration` seconds (`None`: until `wait` times out). With
    /// `condition=player.is_ready`, recording starts on the same frame as that player's next
    /// `synthesize_*`: the note-on at time t lands on frame round(t · sample rate). Another
    /// callable is waited for before recording. `sync`: wait (`**kwargs` go to `wait`).
    #[pyo3(signature = (duration=None, sync=false, condition=None, **kwargs))]
    fn start(
        &self,
        py: Python<'_>,
        duration: Option<f64>,
        sync: bool,
        condition: Option<Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let partner = match self::condition(condition) {
            Condition::Partner(owner) => owner.cast::<MIDIPlayer>().ok().cloned(),
            Condition::Callable(callable) => {
                wait_for(py, &callable)?;
                None
            }
            Condition::None => None,
        };
        let client = &self.client;
        let started = {
            let player = partner.as_ref().map(|p| p.get());
            interruptible(py, &client.interrupt, || {
                let player = player.map(|p| p.client.lock());
                client.lock().start(duration, player.as_deref())
            })?
        };
        started.py_err(py)?;
        self.started.store(true, Ordering::Relaxed);
        if sync {
            let (wait_timeout, in_fw, out_fw) = wait_args(kwargs)?;
            self.wait(py, wait_timeout, in_fw, out_fw)?;
        }
        Ok(())
    }

    /// Whether `start` was called (the take starts with its player, or at once without one).
    fn is_ready(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }

    /// Waits until the recording is complete, or `timeout` seconds (then it stops); the server
    /// freewheels meanwhile if `in_fw`, and afterwards if `out_fw`. Returns whether the timeout
    /// was reached. The audio is then in `recorded`.
    #[pyo3(signature = (timeout=None, in_fw=false, out_fw=false))]
    fn wait(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        in_fw: bool,
        out_fw: bool,
    ) -> PyResult<bool> {
        self.client
            .wait(py, timeout, in_fw, out_fw, pycarla::AudioRecorder::wait)
    }

    /// The recorded audio: a `(channels, frames)` float32 array.
    #[getter]
    fn recorded<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        Audio::from_channels(self.client.lock().recorded()).into_numpy(py)
    }

    /// Writes the recording as a 32-bit float WAV.
    fn save_recorded(&self, py: Python<'_>, filename: PathBuf) -> PyResult<()> {
        let client = &self.client;
        py.detach(|| client.lock().save_recorded(&filename))
            .py_err(py)
    }

    /// Forgets the recorded audio.
    fn clear(&self) {
        self.client.lock().clear();
    }

    /// Closes the JACK client (and forgets the recording); a server this recorder left
    /// freewheeling (`out_fw=True`) leaves freewheel first, as it refuses new clients while in
    /// it.
    fn close(&self) {
        let mut inner = self
            .client
            .leave_freewheel(pycarla::AudioRecorder::set_freewheel);
        *inner = pycarla::AudioRecorder::new(&self.server, &self.ports)
            .interrupt(self.client.interrupt.clone());
        self.started.store(false, Ordering::Relaxed);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the JACK client; an exception goes on.
    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, _exc_info: &Bound<'_, PyTuple>) -> bool {
        self.close();
        false
    }
}

/// The duration of a MIDI file in seconds (mido's `MidiFile.length`).
#[pyfunction]
pub fn get_smf_duration(py: Python<'_>, path: PathBuf) -> PyResult<f64> {
    pycarla::get_smf_duration(path).py_err(py)
}
