//! The whole workflow in a few calls: one [`Renderer`] over two engines — Carla's library
//! offline in a worker process, or JACK with a supervised server and synth host — sharing one
//! timing rule and one audio sink.

mod jack;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use audio_io::{AudioFormat, StopOnSilence, WavFormat};
use proc_supervisor::RunningHost;
use smf::{ExactTime, Timeline};

use crate::error::{Error, Result};
use crate::instrument::Instrument;
use crate::offline::OfflineRenderer;
use jack::JackRenderer;

/// The offline engine's default block: the fastest measured (see the README's Performance).
pub const OFFLINE_BLOCK: u32 = 4096;

/// A private JACK server's default period.
pub const JACK_PERIOD: u32 = 1024;

/// Which engine to render with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EngineChoice {
    /// Offline wherever Carla's library can host the instrument, else JACK.
    #[default]
    Auto,
    /// Carla's library, in a worker process, as fast as the plugins allow.
    Offline,
    /// A JACK server, in freewheel or real time.
    Jack,
}

/// The engine a renderer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// Carla's library in a worker process.
    Offline,
    /// JACK.
    Jack,
}

impl EngineKind {
    /// `offline` or `jack`, as manifests, metadata and messages name it.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Offline => "offline",
            EngineKind::Jack => "jack",
        }
    }
}

/// How much audio to record after the last MIDI message.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Tail {
    /// A fixed number of seconds: the file holds exactly round((duration + tail) · sr) frames.
    Seconds(f64),
    /// Until the output stays below -90 dBFS for half a second, at most 30 seconds.
    Auto,
}

/// A format as its user-facing name (`f32`, `wav16`, `flac24`…) in serialised options.
mod format_by_name {
    use rt_core::AudioFormat;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(format: &AudioFormat, to: S) -> Result<S::Ok, S::Error> {
        to.serialize_str(format.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<AudioFormat, D::Error> {
        let name = String::deserialize(from)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// -90 dBFS as a linear peak.
const AUTO_TAIL_THRESHOLD: f32 = 3.162_277_7e-5;
/// The quiet run that ends an automatic tail, in seconds.
const AUTO_TAIL_QUIET: f64 = 0.5;
/// The longest automatic tail, in seconds.
const AUTO_TAIL_MAX: f64 = 30.0;

/// Everything about a render besides the instrument and the files.
///
/// Built from [`RenderOptions::default`] with one setter per field, so that options added later
/// break no caller (the struct is `#[non_exhaustive]`; its fields stay readable and writable):
///
/// ```
/// use pycarla_render::{EngineChoice, RenderOptions, Tail};
/// let options = RenderOptions::default()
///     .engine(EngineChoice::Offline)
///     .tail(Tail::Auto)
///     .period(Some(1024));
/// assert_eq!(options.period, Some(1024));
/// ```
///
/// Options travel to other processes (a dataset's JACK workers) as JSON: all of them but the
/// interrupt flag, which each process sets for itself.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RenderOptions {
    /// Which engine renders.
    pub engine: EngineChoice,
    /// Sample rate of the offline engine or of a private server (an attached server keeps
    /// its own).
    pub sample_rate: u32,
    /// Frames per block (offline) or per cycle (a private JACK server); `None`: each engine's
    /// fastest ([`OFFLINE_BLOCK`], [`JACK_PERIOD`]). Timing is exact at any size.
    pub period: Option<u32>,
    /// Audio after the last message.
    pub tail: Tail,
    /// Render in real time instead of freewheeling.
    pub realtime: bool,
    /// WAV sample format.
    #[serde(with = "format_by_name")]
    pub format: WavFormat,
    /// Use this running server instead of starting a private one.
    pub server: Option<String>,
    /// Restart the host (and server) and render again this many times after a crash.
    pub retries: u32,
    /// Give up on one file after this long (default: a minute plus ten times its length).
    pub timeout: Option<Duration>,
    /// How long the synth host may take to become ready.
    pub ready_timeout: Duration,
    /// Set to stop the render early (e.g. by a signal handler).
    #[serde(skip)]
    pub interrupt: Option<Arc<AtomicBool>>,
    /// JACK engine: keep the synth running from one file to the next instead of restarting it
    /// (faster, but a file then inherits programs, controllers, voices and effect tails from the
    /// one before). The offline engine always starts every file fresh.
    pub keep_state: bool,
    /// JACK engine, freewheeling: leave the server freewheeling from one file to the next
    /// instead of switching it back to real time after each. Files rendered back to back skip
    /// two switches each, one of which waits for a real-time cycle (85 ms at period 4096).
    /// Dropping the renderer (or restarting its host) ends freewheel. Leave it off when the
    /// renderer idles between files on a server somebody listens to: a freewheeling server
    /// plays nothing and runs flat out. It does not apply to a private server that switches
    /// period for renders.
    pub freewheel_between_files: bool,
    /// Normalise each file to this integrated loudness (EBU R128, LUFS) after rendering; the
    /// engine renders 32-bit float first, and the gain is applied before the format's clipping.
    pub normalize: Option<f64>,
    /// The seed of every random choice a render makes (see [`crate::seed`]); today the C
    /// library's generators a plugin draws from (DISTRHO Kars picks each note's wave with
    /// `rand()`), reseeded before each file's first block on the offline engine. Default 0.
    pub seed: u64,
    /// Gain in dB applied to the instrument's output before clipping is counted and before
    /// the samples are quantised to the format; normalisation, when asked for, comes after it
    /// and sets the final level. Default 0.
    pub gain_db: f64,
    /// What is set in the chain's plugins (offline engine): parameters, presets, states,
    /// random draws before every file's first block, automation during it. A parameter unknown
    /// to the plugin, or a value out of its range, refuses the file before any audio, naming
    /// the plugin, the parameter and its range.
    pub controls: crate::settings::PluginControls,
    /// How long an offline render may go without finishing a block before it fails as stalled
    /// (a plugin that never returns from its processing): default 10 s. The JACK engine's own
    /// stall detection stays at `rt_core::STALL_TIMEOUT` (5 s: a freewheeling jackd runs on
    /// without a client after 10 s).
    pub stall_timeout: Duration,
}

impl RenderOptions {
    /// Whether something is to be set in the plugins that only the offline engine sets: all
    /// but parameters (which pycarla's Carla host sets on JACK too).
    pub fn has_plugin_settings(&self) -> bool {
        !crate::settings::PluginControls {
            params: Vec::new(),
            ..self.controls.clone()
        }
        .is_empty()
    }

    /// Sets [`RenderOptions::controls`].
    pub fn controls(mut self, controls: crate::settings::PluginControls) -> Self {
        self.controls = controls;
        self
    }

    /// Sets the presets of [`RenderOptions::controls`].
    pub fn presets(mut self, presets: Vec<crate::settings::PresetSetting>) -> Self {
        self.controls.presets = presets;
        self
    }

    /// Sets [`RenderOptions::stall_timeout`].
    pub fn stall_timeout(mut self, stall_timeout: Duration) -> Self {
        self.stall_timeout = stall_timeout;
        self
    }

    /// Sets the parameters of [`RenderOptions::controls`].
    pub fn params(mut self, params: Vec<crate::settings::ParameterSetting>) -> Self {
        self.controls.params = params;
        self
    }

    /// Sets [`RenderOptions::gain_db`].
    pub fn gain(mut self, gain_db: f64) -> Self {
        self.gain_db = gain_db;
        self
    }

    /// Sets [`RenderOptions::seed`].
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets [`RenderOptions::engine`].
    pub fn engine(mut self, engine: EngineChoice) -> Self {
        self.engine = engine;
        self
    }

    /// Sets [`RenderOptions::sample_rate`].
    pub fn sample_rate(mut self, sample_rate: u32) -> Self {
        self.sample_rate = sample_rate;
        self
    }

    /// Sets [`RenderOptions::period`].
    pub fn period(mut self, period: Option<u32>) -> Self {
        self.period = period;
        self
    }

    /// Sets [`RenderOptions::tail`].
    pub fn tail(mut self, tail: Tail) -> Self {
        self.tail = tail;
        self
    }

    /// Sets [`RenderOptions::realtime`].
    pub fn realtime(mut self, realtime: bool) -> Self {
        self.realtime = realtime;
        self
    }

    /// Sets [`RenderOptions::format`].
    pub fn format(mut self, format: WavFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets [`RenderOptions::server`].
    pub fn server(mut self, server: Option<String>) -> Self {
        self.server = server;
        self
    }

    /// Sets [`RenderOptions::retries`].
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Sets [`RenderOptions::timeout`].
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets [`RenderOptions::ready_timeout`].
    pub fn ready_timeout(mut self, ready_timeout: Duration) -> Self {
        self.ready_timeout = ready_timeout;
        self
    }

    /// Sets [`RenderOptions::interrupt`].
    pub fn interrupt(mut self, interrupt: Option<Arc<AtomicBool>>) -> Self {
        self.interrupt = interrupt;
        self
    }

    /// Sets [`RenderOptions::keep_state`].
    pub fn keep_state(mut self, keep_state: bool) -> Self {
        self.keep_state = keep_state;
        self
    }

    /// Sets [`RenderOptions::freewheel_between_files`].
    pub fn freewheel_between_files(mut self, on: bool) -> Self {
        self.freewheel_between_files = on;
        self
    }

    /// Sets [`RenderOptions::normalize`].
    pub fn normalize(mut self, normalize: Option<f64>) -> Self {
        self.normalize = normalize;
        self
    }
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            engine: EngineChoice::Auto,
            sample_rate: 48_000,
            period: None,
            tail: Tail::Seconds(2.0),
            realtime: false,
            format: WavFormat::Float32,
            server: None,
            retries: 0,
            timeout: None,
            ready_timeout: Duration::from_secs(20),
            interrupt: None,
            keep_state: false,
            freewheel_between_files: false,
            normalize: None,
            seed: 0,
            gain_db: 0.0,
            controls: crate::settings::PluginControls::default(),
            stall_timeout: DEFAULT_STALL_TIMEOUT,
        }
    }
}

/// What one render produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderReport {
    /// The WAV written.
    pub output: PathBuf,
    /// Frames in it.
    pub frames: u64,
    /// Channels in it (the synth's outputs).
    pub channels: usize,
    /// Its sample rate.
    pub sample_rate: u32,
    /// Which engine rendered it.
    pub engine: EngineKind,
    /// The Carla that hosted the instrument (`Carla 2.5.9 (/usr/lib/carla)`), when one did.
    pub carla: Option<String>,
    /// Frames of plugin latency removed from the start (offline engine).
    pub latency: u64,
    /// The largest absolute sample (0 for silence).
    pub peak: f32,
    /// Wall-clock time of the render itself.
    pub elapsed: Duration,
    /// Attempts it took (1 without crashes).
    pub attempts: u32,
    /// Samples at or beyond full scale in the file written (clipped in an integer or FLAC
    /// file; kept in a float one).
    pub clipped_samples: u64,
    /// Note-ons that should have sounded (velocity above 0, channel volume and expression
    /// above 0) after which the output stayed below −100 dBFS for 100 ms ([`crate::check`]).
    pub silent_note_ons: u64,
    /// System-exclusive messages the engine could not play (offline: Carla's library takes
    /// messages of up to 4 bytes).
    pub sysex_dropped: u64,
    /// The gain applied to the instrument's output, in dB ([`RenderOptions::gain_db`]).
    pub gain_db: f64,
    /// The gain normalisation applied after it, in dB, when asked for.
    pub normalize_gain_db: Option<f64>,
    /// The parameters set, one entry per plugin of the chain (offline engine).
    pub params: Vec<crate::settings::PluginParams>,
    /// The output's envelope, for the render check.
    pub(crate) envelope: Vec<f32>,
}

impl Default for RenderReport {
    fn default() -> Self {
        RenderReport {
            output: PathBuf::new(),
            frames: 0,
            channels: 0,
            sample_rate: 0,
            engine: EngineKind::Offline,
            carla: None,
            latency: 0,
            peak: 0.0,
            elapsed: Duration::ZERO,
            attempts: 1,
            clipped_samples: 0,
            silent_note_ons: 0,
            sysex_dropped: 0,
            gain_db: 0.0,
            normalize_gain_db: None,
            params: Vec::new(),
            envelope: Vec::new(),
        }
    }
}

impl RenderReport {
    pub(crate) fn with_envelope(self, envelope: Vec<f32>) -> Self {
        RenderReport { envelope, ..self }
    }

    /// The peak in dBFS (−∞ for silence).
    pub fn peak_dbfs(&self) -> f64 {
        dbfs(self.peak).unwrap_or(f64::NEG_INFINITY)
    }

    /// Seconds of audio per second of wall clock.
    pub fn times_realtime(&self) -> f64 {
        self.frames as f64 / f64::from(self.sample_rate) / self.elapsed.as_secs_f64()
    }
}

/// The frames a take writes and, for an automatic tail, the silence rule that may end it
/// sooner: the one definition both engines use.
pub(crate) fn take_length(
    timeline: &Timeline,
    tail: Tail,
    sample_rate: u32,
) -> (u64, Option<StopOnSilence>) {
    let end = timeline.duration();
    match tail {
        Tail::Seconds(tail) => (
            (end + ExactTime::from_secs_f64(tail)).frame(sample_rate),
            None,
        ),
        Tail::Auto => (
            (end + ExactTime::from_secs_f64(AUTO_TAIL_MAX)).frame(sample_rate),
            Some(StopOnSilence {
                after_frame: end.frame(sample_rate),
                quiet_frames: (AUTO_TAIL_QUIET * f64::from(sample_rate)) as u64,
                threshold: AUTO_TAIL_THRESHOLD,
            }),
        ),
    }
}

/// How long one file may take: a minute plus ten times its length, unless the options say.
pub(crate) fn render_timeout(options: &RenderOptions, frames: u64, sample_rate: u32) -> Duration {
    options.timeout.unwrap_or(Duration::from_secs_f64(
        60.0 + 10.0 * frames as f64 / f64::from(sample_rate),
    ))
}

/// Where a render writes until it is complete, on either engine: `song.wav.partial` beside
/// `song.wav`. The output appears under its name only once complete; a render that fails
/// leaves the partial file there, a valid WAV of what was rendered.
pub fn partial_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Creates the directory an output goes in.
pub(crate) fn create_parent(output: &Path) -> Result<()> {
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    Ok(())
}

/// Renders files through one engine, kept across files: on JACK a server and a synth host, offline a
/// worker process (every file still starts from the instrument's initial state).
///
/// ```no_run
/// use pycarla_render::{Instrument, RenderOptions, Renderer};
/// let mut renderer = Renderer::new(Instrument::default_soundfont()?, RenderOptions::default())?;
/// for name in ["a", "b"] {
///     renderer.render_file(format!("{name}.mid"), format!("{name}.wav"), None::<&str>)?;
/// }
/// # Ok::<(), pycarla_render::Error>(())
/// ```
#[derive(Debug)]
pub struct Renderer {
    engine: Engine,
    /// With normalisation: the loudness and the format asked for (the engine renders float).
    /// The pass after the render, when gain or normalisation was asked for: the engine
    /// renders 32-bit float, the pass writes the format asked for.
    post: Option<Post>,
    /// Renders again after a crash, this many times.
    retries: u32,
    /// The tail asked for, to check the length rendered.
    tail: Tail,
    /// The format of the files written (integer formats clip).
    final_format: AudioFormat,
    /// What names the file being rendered in the seed rule (its path relative to the input
    /// root without extension, as [`Renderer::set_draw_key`] was told, else the name
    /// `render_file` was given, without extension).
    draw_key: String,
    /// The part being rendered, for the seed rule (a stem's key; empty for the whole file).
    draw_part: String,
}

#[derive(Debug)]
enum Engine {
    // Boxed: both are large, and only one lives per renderer.
    Offline(Box<OfflineRenderer>),
    Jack(Box<JackRenderer>),
}

impl Renderer {
    /// Picks the engine ([`RenderOptions::engine`]) and starts it: a worker process, or a server
    /// and the instrument's host.
    pub fn new(instrument: Instrument, options: RenderOptions) -> Result<Renderer> {
        if let Tail::Seconds(tail) = options.tail
            && !(tail >= 0.0 && tail.is_finite())
        {
            return Err(Error::Usage(format!(
                "a tail of {tail} s: it must be ≥ 0 seconds"
            )));
        }
        if options.period == Some(0) || options.sample_rate == 0 {
            return Err(Error::Usage(
                "the period and the sample rate must be above zero".into(),
            ));
        }
        let (retries, tail) = (options.retries, options.tail);
        if !options.gain_db.is_finite() {
            return Err(Error::Usage(format!(
                "a gain of {} dB is not a number of decibels",
                options.gain_db
            )));
        }
        let post = (options.normalize.is_some() || options.gain_db != 0.0).then_some(Post {
            gain_db: options.gain_db,
            normalize: options.normalize,
            format: options.format,
        });
        // Gain and normalisation need the engine's exact float output first.
        let format = match post {
            Some(_) => AudioFormat::Float32,
            None => options.format,
        };
        let final_format = options.format;
        let options = options.format(format);
        let engine = match engine_for(&instrument, &options)? {
            EngineKind::Offline => {
                Engine::Offline(Box::new(OfflineRenderer::new(&instrument, options)?))
            }
            EngineKind::Jack => Engine::Jack(Box::new(JackRenderer::new(instrument, options)?)),
        };
        Ok(Renderer {
            engine,
            post,
            final_format,
            retries,
            tail,
            draw_key: String::new(),
            draw_part: String::new(),
        })
    }

    /// The engine in use.
    pub fn engine(&self) -> EngineKind {
        match self.engine {
            Engine::Offline(_) => EngineKind::Offline,
            Engine::Jack(_) => EngineKind::Jack,
        }
    }

    /// The sample rate of the files written.
    pub fn sample_rate(&self) -> u32 {
        match &self.engine {
            Engine::Offline(offline) => offline.sample_rate(),
            Engine::Jack(jack) => jack.sample_rate(),
        }
    }

    /// The JACK server's name (JACK engine).
    pub fn server_name(&self) -> Option<&str> {
        match &self.engine {
            Engine::Offline(_) => None,
            Engine::Jack(jack) => Some(jack.server_name()),
        }
    }

    /// The synth host, if this renderer started one (JACK engine).
    pub fn host(&self) -> Option<&RunningHost> {
        match &self.engine {
            Engine::Offline(_) => None,
            Engine::Jack(jack) => jack.host(),
        }
    }

    /// The worker process's id (offline engine), once started.
    pub fn worker_pid(&self) -> Option<u32> {
        match &self.engine {
            Engine::Offline(offline) => offline.worker_pid(),
            Engine::Jack(_) => None,
        }
    }

    /// Renders the MIDI file `midi` into the WAV `output`, and the onsets CSV if asked for.
    pub fn render_file(
        &mut self,
        midi: impl AsRef<Path>,
        output: impl AsRef<Path>,
        onsets: Option<impl AsRef<Path>>,
    ) -> Result<RenderReport> {
        let timeline = Timeline::from_path(&midi)?;
        // A file given alone is named by its name without extension, as the command names it.
        self.set_draw_key(
            midi.as_ref()
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        self.render_timeline(&timeline, output, onsets, |_, _| {})
    }

    /// Names the next file for the seed rule ([`crate::seed`]): a batch gives each input's path
    /// relative to the input root, so that two files of one name in different folders draw
    /// different values and a file draws the same whatever else the batch holds.
    pub fn set_draw_key(&mut self, key: impl Into<String>) {
        self.draw_key = key.into();
        self.draw_part.clear();
    }

    /// Names the part of the file being rendered next, for the seed rule (a stem's key).
    pub fn set_draw_part(&mut self, part: impl Into<String>) {
        self.draw_part = part.into();
    }

    /// Renders a timeline (a parsed file, or [`smf::Note::timeline`]); `on_tick(written,
    /// total)` is called as the render goes.
    pub fn render_timeline(
        &mut self,
        timeline: &Timeline,
        output: impl AsRef<Path>,
        onsets: Option<impl AsRef<Path>>,
        mut on_tick: impl FnMut(u64, u64),
    ) -> Result<RenderReport> {
        let output = output.as_ref();
        if let Engine::Jack(jack) = &mut self.engine {
            jack.before_file()?;
        }
        let mut attempts = 0;
        let report = loop {
            attempts += 1;
            let attempt = match &mut self.engine {
                Engine::Offline(offline) => {
                    let draw = (self.draw_key.as_str(), self.draw_part.as_str());
                    offline.attempt(timeline, output, draw, &mut on_tick)
                }
                Engine::Jack(jack) => jack.attempt(timeline, output, &mut on_tick),
            };
            match attempt.and_then(|report| check(timeline, self.tail, report)) {
                Ok(report) => break RenderReport { attempts, ..report },
                Err(error) if error.is_retryable() && attempts <= self.retries => {
                    tracing::warn!(%error, attempt = attempts, "render failed; rendering again from the start");
                    match &mut self.engine {
                        Engine::Offline(offline) => offline.start_over(),
                        Engine::Jack(jack) => jack.start_over()?,
                    }
                }
                Err(error) => return Err(error),
            }
        };
        let mut report = report;
        if report.sysex_dropped > 0 {
            tracing::warn!(
                output = %output.display(),
                count = report.sysex_dropped,
                "system-exclusive messages were not played: Carla takes none"
            );
        }
        if let Some(post) = self.post {
            post.apply(output, &mut report)?;
        }
        if report.clipped_samples > 0 && self.final_format.clips() {
            tracing::warn!(
                output = %output.display(),
                clipped_samples = report.clipped_samples,
                peak_dbfs = format!("{:+.1}", report.peak_dbfs()),
                "samples clipped at full scale in the file written (lower the gain, or write 32-bit float, which keeps them)"
            );
        }
        // Complete and checked: the output appears under its name only now.
        std::fs::rename(partial_path(output), output).map_err(|source| Error::Io {
            path: output.to_path_buf(),
            source,
        })?;
        if let Some(path) = onsets {
            // Offline, the CSV says how much plugin latency was cut from the audio; on JACK,
            // whether the synth moves notes to period boundaries.
            let notes = crate::onsets::OnsetNotes {
                latency: (report.engine == EngineKind::Offline).then_some(report.latency),
                synth_quantum: match &self.engine {
                    Engine::Jack(jack) => jack.onset_quantum(),
                    Engine::Offline(_) => None,
                },
            };
            crate::onsets::write(path.as_ref(), timeline, report.sample_rate, notes)?;
        }
        Ok(report)
    }

    /// Restarts what died (a worker; a server or host). Nothing when all is running.
    pub fn recover(&mut self) -> Result<()> {
        match &mut self.engine {
            Engine::Offline(offline) => {
                offline.recover();
                Ok(())
            }
            Engine::Jack(jack) => jack.recover(),
        }
    }
}

/// [`RenderOptions::stall_timeout`]'s default.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A peak sample in dBFS, `None` for silence: what the manifest and stem metadata record.
pub fn dbfs(peak: f32) -> Option<f64> {
    Some(20.0 * f64::from(peak).log10()).filter(|db| db.is_finite())
}

/// The file's system-exclusive messages.
pub(crate) fn sysex_count(timeline: &Timeline) -> u64 {
    timeline
        .events()
        .iter()
        .filter(|event| event.message.bytes().first() == Some(&0xF0))
        .count() as u64
}

/// What the pass after a render does.
#[derive(Clone, Copy, Debug)]
struct Post {
    gain_db: f64,
    normalize: Option<f64>,
    format: AudioFormat,
}

impl Post {
    /// Rewrites the float render at `partial_path(output)` in the format asked for, with the
    /// gain and then the normalisation applied (through a second temporary file: the partial
    /// name always holds a whole file), and says what it wrote in `report`.
    fn apply(self, output: &Path, report: &mut RenderReport) -> Result<()> {
        let partial = partial_path(output);
        // Loudness moves dB for dB with gain: normalising after the gain is one gain.
        let normalize_gain = match self.normalize {
            Some(lufs) => Some(audio_io::loudness::gain_to(&partial, lufs)? - self.gain_db),
            None => None,
        };
        let gain = self.gain_db + normalize_gain.unwrap_or(0.0);
        let mut encoded = partial.clone().into_os_string();
        encoded.push(".encoded");
        let encoded = PathBuf::from(encoded);
        let written = audio_io::reencode::write_as(
            &partial,
            &encoded,
            self.format,
            gain,
            report.channels,
            report.frames,
        )?;
        tracing::debug!(gain_db = gain, output = %output.display(), "gain applied");
        std::fs::rename(&encoded, &partial).map_err(|source| Error::Io {
            path: partial.clone(),
            source,
        })?;
        report.peak = written.peak;
        report.clipped_samples = written.clipped;
        report.gain_db = self.gain_db;
        report.normalize_gain_db = normalize_gain;
        Ok(())
    }
}

/// A render that cannot be a dataset row: silent while the MIDI plays notes, or shorter than
/// the length asked for (a fixed tail gives an exact length).
fn check(timeline: &Timeline, tail: Tail, report: RenderReport) -> Result<RenderReport> {
    let plays_notes = timeline
        .events()
        .iter()
        .any(|event| event.message.note_on().is_some());
    if plays_notes && report.peak == 0.0 {
        return Err(Error::Silent {
            output: partial_path(&report.output),
        });
    }
    let (total, _) = take_length(timeline, tail, report.sample_rate);
    if matches!(tail, Tail::Seconds(_)) && report.frames < total {
        return Err(Error::Short {
            output: partial_path(&report.output),
            frames: report.frames,
            expected: total,
        });
    }
    let loss = crate::check::note_loss(timeline, &report.envelope, report.sample_rate);
    if let Some((from, to)) = loss.lost_span {
        return Err(Error::NotesMadeNoSound {
            output: partial_path(&report.output),
            from,
            to,
            count: loss.silent_note_ons,
        });
    }
    Ok(RenderReport {
        silent_note_ons: loss.silent_note_ons,
        ..report
    })
}

/// The engine [`Renderer::new`] picks for this instrument and these options: offline when
/// asked for or, with [`EngineChoice::Auto`], wherever Carla's library is installed and can
/// host the instrument (not a JACK program, no running server, not in real time).
pub fn engine_for(instrument: &Instrument, options: &RenderOptions) -> Result<EngineKind> {
    let jack_only = if options.server.is_some() {
        Some("a running JACK server was asked for")
    } else if options.realtime {
        Some("a real-time render was asked for")
    } else if instrument.offline_chain().is_none() {
        Some("the instrument is a JACK program")
    } else {
        None
    };
    // Looked for only when the choice depends on it: the search runs `pkg-config`, a
    // process start that a render on JACK need not pay.
    let carla = || instrument.carla();
    match (options.engine, jack_only) {
        (EngineChoice::Offline, Some(reason)) => Err(Error::Usage(format!(
            "the offline engine cannot be used: {reason}"
        ))),
        (EngineChoice::Offline, None) => carla().map(|_| EngineKind::Offline),
        (EngineChoice::Jack, _) if options.has_plugin_settings() => Err(Error::Usage(
            "presets, states, random draws, automation and controller mappings are applied on the offline engine only (the JACK engine sets parameters)".into(),
        )),
        (EngineChoice::Jack, _) => Ok(EngineKind::Jack),
        (EngineChoice::Auto, Some(reason)) if options.has_plugin_settings() => {
            Err(Error::Usage(format!(
                "presets, states, random draws, automation and controller mappings are applied on the offline engine only (the JACK engine sets parameters), and {reason}"
            )))
        }
        (EngineChoice::Auto, Some(_)) => Ok(EngineKind::Jack),
        (EngineChoice::Auto, None) => match (carla(), instrument) {
            (Ok(_), _) => Ok(EngineKind::Offline),
            // Only Carla's library hosts a plugin chain, or sets parameters.
            (Err(error), Instrument::Plugins(_)) => Err(error),
            (Err(error), _) if options.has_plugin_settings() => Err(error),
            (Err(error), _) => {
                tracing::info!(%error, "Carla's library is missing: rendering on JACK");
                Ok(EngineKind::Jack)
            }
        },
    }
}

/// Renders one MIDI file into a WAV with a fresh engine (and, on JACK, a fresh server and host).
///
/// ```no_run
/// use pycarla_render::{Instrument, RenderOptions};
/// let report = pycarla_render::render(
///     Instrument::SoundFont("/usr/share/sounds/sf2/FluidR3_GM.sf2".into()),
///     "song.mid",
///     "song.wav",
///     &RenderOptions::default(),
/// )?;
/// println!("{} frames, {:.0}× realtime", report.frames, report.times_realtime());
/// # Ok::<(), pycarla_render::Error>(())
/// ```
pub fn render(
    instrument: Instrument,
    midi: impl AsRef<Path>,
    output: impl AsRef<Path>,
    options: &RenderOptions,
) -> Result<RenderReport> {
    Renderer::new(instrument, options.clone())?.render_file(midi, output, None::<&Path>)
}

/// Renders many `(midi, wav)` pairs through one renderer, in order. One file's failure
/// does not stop the others: each gets its own result.
pub fn render_batch(
    instrument: Instrument,
    jobs: &[(PathBuf, PathBuf)],
    options: &RenderOptions,
) -> Result<Vec<Result<RenderReport>>> {
    let mut renderer = Renderer::new(instrument, options.clone())?;
    Ok(jobs
        .iter()
        .map(|(midi, wav)| renderer.render_file(midi, wav, None::<&Path>))
        .collect())
}

/// A host for callers that want the supervisor directly.
pub fn host_for(instrument: &Instrument, scratch: &Path) -> Result<Option<proc_supervisor::Host>> {
    instrument.host(crate::instrument::find_carla().as_deref(), scratch, &[])
}
