//! One plugin instance: the `clap_plugin` callbacks and the extensions (params, state,
//! audio ports, note ports, latency), shared by all kinds, with the faults where they belong.

use std::cell::UnsafeCell;
use std::ffi::{CStr, c_char, c_void};
use std::fmt::Write as _;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use clap_sys::events::{
    CLAP_CORE_EVENT_SPACE_ID, CLAP_EVENT_MIDI, CLAP_EVENT_NOTE_ON, CLAP_EVENT_PARAM_VALUE,
    clap_event_header, clap_event_midi, clap_event_note, clap_event_param_value, clap_input_events,
    clap_output_events,
};
use clap_sys::ext::audio_ports::{
    CLAP_AUDIO_PORT_IS_MAIN, CLAP_EXT_AUDIO_PORTS, CLAP_PORT_STEREO, clap_audio_port_info,
    clap_plugin_audio_ports,
};
use clap_sys::ext::latency::{CLAP_EXT_LATENCY, clap_host_latency, clap_plugin_latency};
use clap_sys::ext::note_ports::{
    CLAP_EXT_NOTE_PORTS, CLAP_NOTE_DIALECT_CLAP, CLAP_NOTE_DIALECT_MIDI, clap_note_port_info,
    clap_plugin_note_ports,
};
use clap_sys::ext::params::{
    CLAP_EXT_PARAMS, CLAP_PARAM_IS_AUTOMATABLE, CLAP_PARAM_IS_STEPPED, clap_param_info,
    clap_param_info_flags, clap_plugin_params,
};
use clap_sys::ext::state::{CLAP_EXT_STATE, clap_plugin_state};
use clap_sys::host::clap_host;
use clap_sys::id::{CLAP_INVALID_ID, clap_id};
use clap_sys::plugin::{clap_plugin, clap_plugin_descriptor};
use clap_sys::process::{
    CLAP_PROCESS_CONTINUE, CLAP_PROCESS_ERROR, clap_process, clap_process_status,
};
use clap_sys::stream::{clap_istream, clap_ostream};

use crate::dsp::{Clicks, DelayLine};
use crate::{Kind, guard};

/// One parameter: its id is its index.
struct ParamSpec {
    name: &'static CStr,
    min: f64,
    max: f64,
    default: f64,
    flags: clap_param_info_flags,
}

const STEPPED: clap_param_info_flags = CLAP_PARAM_IS_STEPPED | CLAP_PARAM_IS_AUTOMATABLE;

const CRASH_KEY: ParamSpec = ParamSpec {
    name: c"Crash Key",
    min: 0.0,
    max: 127.0,
    default: 120.0,
    flags: STEPPED,
};
const GAIN: ParamSpec = ParamSpec {
    name: c"Gain",
    min: 0.0,
    max: 1.0,
    default: 1.0,
    flags: CLAP_PARAM_IS_AUTOMATABLE,
};
const DELAY: ParamSpec = ParamSpec {
    name: c"Delay",
    min: 0.0,
    max: 48000.0,
    default: 0.0,
    flags: STEPPED,
};

impl Kind {
    /// Every kind has at most one parameter (id 0); the fixed delays have none.
    fn param(self) -> Option<&'static ParamSpec> {
        match self {
            Kind::CrashOnNote => Some(&CRASH_KEY),
            Kind::HangInProcess => Some(&GAIN),
            Kind::Delay => Some(&DELAY),
            Kind::FixedDelay(_) => None,
        }
    }

    fn is_instrument(self) -> bool {
        matches!(self, Kind::CrashOnNote | Kind::HangInProcess)
    }
}

/// State written by `process`, `activate`, `reset` and `flush`. CLAP never runs these at
/// the same time for one instance (audio thread while active, main thread while not), so
/// an `UnsafeCell` is enough; what other threads read lives in atomics on [`Plugin`].
struct Audio {
    sample_rate: f64,
    clicks: Clicks,
    delay: DelayLine,
}

pub(crate) struct Plugin {
    clap: clap_plugin,
    host: *const clap_host,
    /// The host's latency extension (null if it has none), queried in `init`.
    host_latency: *const clap_host_latency,
    kind: Kind,
    /// The parameter's value (f64 bits): set by events or state, read by `get_value` from
    /// the main thread while `process` may be running.
    value: AtomicU64,
    /// The delay in effect and reported by `clap.latency`. It changes only while inactive
    /// (flush/state) or in `activate`: CLAP forbids a latency change while active.
    latency: AtomicU32,
    /// The latency the host was last told about (at load or by `latency.changed()`).
    announced: AtomicU32,
    active: AtomicBool,
    /// A restart was requested for a new delay and has not happened yet: ask only once.
    restart_requested: AtomicBool,
    audio: UnsafeCell<Audio>,
}

impl Plugin {
    pub(crate) fn create(
        host: *const clap_host,
        desc: &'static clap_plugin_descriptor,
        kind: Kind,
    ) -> *const clap_plugin {
        let value = kind.param().map_or(0.0, |p| p.default);
        let latency = match kind {
            Kind::Delay => value as u32,
            Kind::FixedDelay(frames) => frames,
            _ => 0,
        };
        let plugin = Box::into_raw(Box::new(Plugin {
            clap: clap_plugin {
                desc,
                plugin_data: ptr::null_mut(),
                init: Some(init),
                destroy: Some(destroy),
                activate: Some(activate),
                deactivate: Some(deactivate),
                start_processing: Some(start_processing),
                stop_processing: Some(stop_processing),
                reset: Some(reset),
                process: Some(process),
                get_extension: Some(get_extension),
                on_main_thread: Some(on_main_thread),
            },
            host,
            host_latency: ptr::null(),
            kind,
            value: AtomicU64::new(value.to_bits()),
            latency: AtomicU32::new(latency),
            announced: AtomicU32::new(latency),
            active: AtomicBool::new(false),
            restart_requested: AtomicBool::new(false),
            audio: UnsafeCell::new(Audio {
                sample_rate: 48000.0,
                clicks: Clicks::default(),
                delay: DelayLine::new(0),
            }),
        }));
        // SAFETY: just allocated; `plugin_data` lets every callback find the instance.
        unsafe {
            (*plugin).clap.plugin_data = plugin.cast();
            &raw const (*plugin).clap
        }
    }

    fn value(&self) -> f64 {
        f64::from_bits(self.value.load(Ordering::Relaxed))
    }

    /// The delay the parameter (or the fixed length) asks for.
    fn wanted_delay(&self) -> u32 {
        match self.kind {
            Kind::FixedDelay(frames) => frames,
            Kind::Delay => self.value() as u32,
            _ => 0,
        }
    }

    /// Sets the parameter from an event or a state, clamped and (if stepped) rounded.
    fn set_value(&self, id: clap_id, value: f64) {
        let Some(spec) = self.kind.param().filter(|_| id == 0) else {
            return;
        };
        let mut value = value.clamp(spec.min, spec.max);
        if spec.flags & CLAP_PARAM_IS_STEPPED != 0 {
            value = value.round();
        }
        self.value.store(value.to_bits(), Ordering::Relaxed);
        if self.kind != Kind::Delay {
            return;
        }
        let wanted = self.wanted_delay();
        if !self.active.load(Ordering::Acquire) {
            // Inactive: nothing runs, so the new delay simply applies; `activate` builds the
            // line and tells the host.
            self.latency.store(wanted, Ordering::Relaxed);
        } else if wanted != self.latency.load(Ordering::Relaxed)
            && !self.restart_requested.swap(true, Ordering::AcqRel)
        {
            // Active: CLAP allows a latency change only in `activate`, so ask the host to
            // deactivate and reactivate us (thread-safe call); until then the old delay holds.
            // SAFETY: the host outlives its plugins and `request_restart` is thread-safe.
            unsafe {
                if let Some(restart) = (*self.host).request_restart {
                    restart(self.host);
                }
            }
        }
    }

    /// Applies a parameter value event; ignores any other (from `process` and `flush`).
    fn handle_param_event(&self, header: &clap_event_header) {
        if header.space_id == CLAP_CORE_EVENT_SPACE_ID && header.type_ == CLAP_EVENT_PARAM_VALUE {
            // SAFETY: the type says this header starts a `clap_event_param_value`.
            let event =
                unsafe { &*(header as *const clap_event_header).cast::<clap_event_param_value>() };
            self.set_value(event.param_id, event.value);
        }
    }

    /// A note-on: the faults happen here, on the audio thread, inside `process`.
    fn note_on(&self, audio: &mut Audio, key: i16, velocity: f64) {
        match self.kind {
            Kind::CrashOnNote if f64::from(key) == self.value() => crash(),
            Kind::HangInProcess => hang(),
            _ => {}
        }
        if let Ok(key) = u8::try_from(key) {
            audio
                .clicks
                .note_on(key.min(127), velocity, audio.sample_rate);
        }
    }

    /// Handles one event of `process`: notes in either dialect, parameter values.
    fn handle_event(&self, audio: &mut Audio, header: &clap_event_header) {
        if header.space_id != CLAP_CORE_EVENT_SPACE_ID {
            return;
        }
        let at = header as *const clap_event_header;
        match header.type_ {
            CLAP_EVENT_NOTE_ON => {
                // SAFETY: the type says this header starts a `clap_event_note`.
                let note = unsafe { &*at.cast::<clap_event_note>() };
                self.note_on(audio, note.key, note.velocity);
            }
            CLAP_EVENT_MIDI => {
                // SAFETY: the type says this header starts a `clap_event_midi`.
                let [status, key, velocity] = unsafe { (*at.cast::<clap_event_midi>()).data };
                // A note-on of velocity 0 is a note-off in MIDI.
                if status & 0xF0 == 0x90 && velocity > 0 {
                    self.note_on(audio, i16::from(key), f64::from(velocity) / 127.0);
                }
            }
            _ => self.handle_param_event(header),
        }
    }

    /// Renders `from..to` of the block: clicks for instruments, the delay for effects.
    ///
    /// # Safety
    /// `process` must be the host's valid process data for this block, `to <= frames_count`.
    unsafe fn render(&self, audio: &mut Audio, process: &clap_process, from: u32, to: u32) {
        // SAFETY: hosts give `audio_*_count` buffers of `channel_count` channels of
        // `frames_count` frames; in and out may be the same memory, so go frame by frame
        // through raw pointers, reading a frame before writing it.
        unsafe {
            let channels = |buffers: *const clap_sys::audio_buffer::clap_audio_buffer, count| {
                if count == 0 || buffers.is_null() || (*buffers).data32.is_null() {
                    (ptr::null_mut(), 0)
                } else {
                    ((*buffers).data32, (*buffers).channel_count as usize)
                }
            };
            let (inputs, in_count) = channels(process.audio_inputs, process.audio_inputs_count);
            let (outputs, out_count) = channels(process.audio_outputs, process.audio_outputs_count);
            let gain = if self.kind == Kind::HangInProcess {
                self.value() as f32
            } else {
                1.0
            };
            for i in from as usize..to as usize {
                let frame = if self.kind.is_instrument() {
                    [audio.clicks.tick() * gain; 2]
                } else {
                    let read = |c: usize| {
                        let c = c.min(in_count.saturating_sub(1));
                        let ch = if in_count == 0 {
                            ptr::null()
                        } else {
                            *inputs.add(c)
                        };
                        if ch.is_null() { 0.0 } else { *ch.add(i) }
                    };
                    audio.delay.tick([read(0), read(1)])
                };
                for c in 0..out_count {
                    let ch = *outputs.add(c);
                    if !ch.is_null() {
                        *ch.add(i) = frame[c.min(1)];
                    }
                }
            }
        }
    }
}

/// Raises SIGSEGV, the way a buggy plugin dies, without undefined behaviour.
fn crash() -> ! {
    // SAFETY: plain libc calls.
    unsafe {
        libc::raise(libc::SIGSEGV);
        // A handler may return from a raised (not faulted) SIGSEGV: Rust's own stack-overflow
        // handler restores the default action and returns, expecting the faulting instruction
        // to run again. So raise again, then with the default action for sure.
        libc::raise(libc::SIGSEGV);
        libc::signal(libc::SIGSEGV, libc::SIG_DFL);
        libc::raise(libc::SIGSEGV);
    }
    std::process::abort()
}

/// Never returns, sleeping so that the hung process costs no CPU.
fn hang() -> ! {
    loop {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The instance behind a `clap_plugin` pointer.
///
/// # Safety
/// `plugin` must be one that [`Plugin::create`] returned and that is not destroyed.
unsafe fn this<'a>(plugin: *const clap_plugin) -> &'a Plugin {
    // SAFETY: as the caller promises.
    unsafe { &*(*plugin).plugin_data.cast::<Plugin>() }
}

/// The non-concurrent state (see [`Audio`]).
///
/// # Safety
/// Only from the callbacks CLAP never runs concurrently for one instance.
#[allow(clippy::mut_from_ref)]
unsafe fn audio(plugin: &Plugin) -> &mut Audio {
    // SAFETY: as the caller promises.
    unsafe { &mut *plugin.audio.get() }
}

/// Iterates an input event list.
///
/// # Safety
/// `list` must be null or a valid host event list.
unsafe fn events<'a>(
    list: *const clap_input_events,
) -> impl Iterator<Item = &'a clap_event_header> {
    // SAFETY: a valid list's `size` and `get` give events valid for the call.
    let size = unsafe {
        list.as_ref()
            .and_then(|l| l.size)
            .map_or(0, |size| size(list))
    };
    (0..size).filter_map(move |i| unsafe {
        let event = (*list).get?(list, i);
        event.as_ref()
    })
}

unsafe extern "C" fn init(plugin: *const clap_plugin) -> bool {
    guard(false, || {
        // SAFETY: a live instance; hosts may be queried for extensions from `init` on.
        unsafe {
            let this = &mut *(*plugin).plugin_data.cast::<Plugin>();
            // Only the delays announce latency changes; instruments need no host extension.
            if let Some(get) = (*this.host)
                .get_extension
                .filter(|_| !this.kind.is_instrument())
            {
                this.host_latency = get(this.host, CLAP_EXT_LATENCY.as_ptr()).cast();
            }
        }
        true
    })
}

unsafe extern "C" fn destroy(plugin: *const clap_plugin) {
    // SAFETY: created by `Box::into_raw` in `create`; the host destroys each instance once.
    drop(unsafe { Box::from_raw((*plugin).plugin_data.cast::<Plugin>()) });
}

unsafe extern "C" fn activate(plugin: *const clap_plugin, rate: f64, _min: u32, _max: u32) -> bool {
    guard(false, || {
        // SAFETY: a live instance; `activate` runs while nothing processes.
        let (this, audio) = unsafe { (this(plugin), audio(this(plugin))) };
        audio.sample_rate = rate;
        audio.clicks.reset();
        // The one place a latency may change: apply the wanted delay, then tell the host
        // (`changed` is allowed exactly here, "being activated").
        let delay = this.wanted_delay();
        audio.delay = DelayLine::new(delay);
        this.latency.store(delay, Ordering::Relaxed);
        this.restart_requested.store(false, Ordering::Release);
        this.active.store(true, Ordering::Release);
        if this.announced.swap(delay, Ordering::Relaxed) != delay {
            // SAFETY: the host's extension lives as long as the host.
            unsafe {
                if let Some(changed) = this.host_latency.as_ref().and_then(|l| l.changed) {
                    changed(this.host);
                }
            }
        }
        true
    })
}

unsafe extern "C" fn deactivate(plugin: *const clap_plugin) {
    // SAFETY: a live instance.
    unsafe { this(plugin) }
        .active
        .store(false, Ordering::Release);
}

unsafe extern "C" fn start_processing(_plugin: *const clap_plugin) -> bool {
    true
}

unsafe extern "C" fn stop_processing(_plugin: *const clap_plugin) {}

unsafe extern "C" fn reset(plugin: *const clap_plugin) {
    // SAFETY: a live instance; `reset` runs on the audio thread, never beside `process`.
    let audio = unsafe { audio(this(plugin)) };
    audio.clicks.reset();
    audio.delay.reset();
}

unsafe extern "C" fn process(
    plugin: *const clap_plugin,
    process: *const clap_process,
) -> clap_process_status {
    guard(CLAP_PROCESS_ERROR, || {
        // SAFETY: a live instance, valid process data, audio thread.
        unsafe {
            let Some(process) = process.as_ref() else {
                return CLAP_PROCESS_ERROR;
            };
            let (this, audio) = (this(plugin), audio(this(plugin)));
            let frames = process.frames_count;
            // Render up to each event's frame, then apply it: notes start on their frame.
            let mut done = 0;
            for event in events(process.in_events) {
                let at = event.time.min(frames);
                if at > done {
                    this.render(audio, process, done, at);
                    done = at;
                }
                this.handle_event(audio, event);
            }
            this.render(audio, process, done, frames);
            CLAP_PROCESS_CONTINUE
        }
    })
}

unsafe extern "C" fn on_main_thread(_plugin: *const clap_plugin) {}

unsafe extern "C" fn get_extension(plugin: *const clap_plugin, id: *const c_char) -> *const c_void {
    if id.is_null() {
        return ptr::null();
    }
    // SAFETY: a live instance; the host passes a valid C string.
    let (kind, id) = unsafe { (this(plugin).kind, CStr::from_ptr(id)) };
    if id == CLAP_EXT_PARAMS && kind.param().is_some() {
        (&raw const PARAMS).cast()
    } else if id == CLAP_EXT_STATE {
        (&raw const STATE).cast()
    } else if id == CLAP_EXT_AUDIO_PORTS {
        (&raw const AUDIO_PORTS).cast()
    } else if id == CLAP_EXT_NOTE_PORTS && kind.is_instrument() {
        (&raw const NOTE_PORTS).cast()
    } else if id == CLAP_EXT_LATENCY && !kind.is_instrument() {
        (&raw const LATENCY).cast()
    } else {
        ptr::null()
    }
}

// ---- clap.params ----------------------------------------------------------------------------

static PARAMS: clap_plugin_params = clap_plugin_params {
    count: Some(params_count),
    get_info: Some(params_get_info),
    get_value: Some(params_get_value),
    value_to_text: Some(params_value_to_text),
    text_to_value: Some(params_text_to_value),
    flush: Some(params_flush),
};

/// Copies `text` into a C buffer of `capacity` bytes, cut to fit, always terminated.
///
/// # Safety
/// `out` must be valid for `capacity` bytes.
unsafe fn write_c_string(text: &str, out: *mut c_char, capacity: usize) -> bool {
    if out.is_null() || capacity == 0 {
        return false;
    }
    let n = text.len().min(capacity - 1);
    // SAFETY: `n + 1 <= capacity`.
    unsafe {
        ptr::copy_nonoverlapping(text.as_ptr().cast::<c_char>(), out, n);
        *out.add(n) = 0;
    }
    true
}

unsafe extern "C" fn params_count(plugin: *const clap_plugin) -> u32 {
    // SAFETY: a live instance.
    u32::from(unsafe { this(plugin) }.kind.param().is_some())
}

unsafe extern "C" fn params_get_info(
    plugin: *const clap_plugin,
    index: u32,
    info: *mut clap_param_info,
) -> bool {
    // SAFETY: a live instance.
    let Some(spec) = unsafe { this(plugin) }.kind.param().filter(|_| index == 0) else {
        return false;
    };
    // SAFETY: the host passes room for one `clap_param_info`; zeroed is a valid one.
    unsafe {
        let Some(info) = info.as_mut() else {
            return false;
        };
        *info = std::mem::zeroed();
        info.id = 0;
        info.flags = spec.flags;
        info.cookie = ptr::null_mut();
        info.min_value = spec.min;
        info.max_value = spec.max;
        info.default_value = spec.default;
        let name = spec.name.to_bytes();
        let n = name.len().min(info.name.len() - 1);
        ptr::copy_nonoverlapping(name.as_ptr().cast::<c_char>(), info.name.as_mut_ptr(), n);
    }
    true
}

unsafe extern "C" fn params_get_value(
    plugin: *const clap_plugin,
    id: clap_id,
    out: *mut f64,
) -> bool {
    // SAFETY: a live instance; `out` points at one f64.
    unsafe {
        let this = this(plugin);
        if id != 0 || this.kind.param().is_none() || out.is_null() {
            return false;
        }
        *out = this.value();
    }
    true
}

unsafe extern "C" fn params_value_to_text(
    plugin: *const clap_plugin,
    id: clap_id,
    value: f64,
    out: *mut c_char,
    capacity: u32,
) -> bool {
    guard(false, || {
        // SAFETY: a live instance.
        let Some(spec) = unsafe { this(plugin) }.kind.param().filter(|_| id == 0) else {
            return false;
        };
        let mut text = String::new();
        let _ = if spec.flags & CLAP_PARAM_IS_STEPPED != 0 {
            write!(text, "{}", value.round())
        } else {
            write!(text, "{value:.3}")
        };
        // SAFETY: the host gives `capacity` bytes.
        unsafe { write_c_string(&text, out, capacity as usize) }
    })
}

unsafe extern "C" fn params_text_to_value(
    plugin: *const clap_plugin,
    id: clap_id,
    text: *const c_char,
    out: *mut f64,
) -> bool {
    guard(false, || {
        // SAFETY: a live instance; a valid C string; `out` points at one f64.
        unsafe {
            if id != 0 || this(plugin).kind.param().is_none() || text.is_null() || out.is_null() {
                return false;
            }
            // The number, ignoring a unit after it ("1000 frames").
            let text = CStr::from_ptr(text).to_string_lossy();
            match text.split_whitespace().next().map(str::parse::<f64>) {
                Some(Ok(value)) => {
                    *out = value;
                    true
                }
                _ => false,
            }
        }
    })
}

unsafe extern "C" fn params_flush(
    plugin: *const clap_plugin,
    in_: *const clap_input_events,
    _out: *const clap_output_events,
) {
    guard((), || {
        // SAFETY: a live instance and a valid event list.
        unsafe {
            let this = this(plugin);
            for event in events(in_) {
                this.handle_param_event(event);
            }
        }
    })
}

// ---- clap.state: "PCFX", one byte version, then the parameter's value as f64 LE ----------

const STATE_MAGIC: &[u8; 5] = b"PCFX\x01";

static STATE: clap_plugin_state = clap_plugin_state {
    save: Some(state_save),
    load: Some(state_load),
};

unsafe extern "C" fn state_save(plugin: *const clap_plugin, stream: *const clap_ostream) -> bool {
    guard(false, || {
        // SAFETY: a live instance.
        let this = unsafe { this(plugin) };
        let mut bytes = STATE_MAGIC.to_vec();
        if this.kind.param().is_some() {
            bytes.extend_from_slice(&this.value().to_le_bytes());
        }
        // Streams may take fewer bytes than offered: write until all went or it failed.
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            // SAFETY: a valid host stream.
            let wrote = unsafe {
                let Some(write) = stream.as_ref().and_then(|s| s.write) else {
                    return false;
                };
                write(stream, rest.as_ptr().cast(), rest.len() as u64)
            };
            if wrote <= 0 {
                return false;
            }
            rest = rest.get(wrote as usize..).unwrap_or_default();
        }
        true
    })
}

unsafe extern "C" fn state_load(plugin: *const clap_plugin, stream: *const clap_istream) -> bool {
    guard(false, || {
        // SAFETY: a live instance.
        let this = unsafe { this(plugin) };
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 256];
        loop {
            // SAFETY: a valid host stream; `chunk` has room for what we ask.
            let read = unsafe {
                let Some(read) = stream.as_ref().and_then(|s| s.read) else {
                    return false;
                };
                read(stream, chunk.as_mut_ptr().cast(), chunk.len() as u64)
            };
            match read {
                0 => break,
                n if n < 0 => return false,
                n => bytes.extend_from_slice(chunk.get(..n as usize).unwrap_or_default()),
            }
        }
        let Some(rest) = bytes.strip_prefix(STATE_MAGIC) else {
            return false;
        };
        if this.kind.param().is_some() {
            let Some(value) = rest.get(..8).and_then(|b| b.try_into().ok()) else {
                return false;
            };
            // The same path as a parameter event: a new delay while active asks for a restart.
            this.set_value(0, f64::from_le_bytes(value));
        }
        true
    })
}

// ---- clap.audio-ports: stereo out; the effects also stereo in ---------------------------

static AUDIO_PORTS: clap_plugin_audio_ports = clap_plugin_audio_ports {
    count: Some(audio_ports_count),
    get: Some(audio_ports_get),
};

unsafe extern "C" fn audio_ports_count(plugin: *const clap_plugin, is_input: bool) -> u32 {
    // SAFETY: a live instance.
    u32::from(!is_input || !unsafe { this(plugin) }.kind.is_instrument())
}

unsafe extern "C" fn audio_ports_get(
    plugin: *const clap_plugin,
    index: u32,
    is_input: bool,
    info: *mut clap_audio_port_info,
) -> bool {
    // SAFETY: a live instance.
    if index >= unsafe { audio_ports_count(plugin, is_input) } {
        return false;
    }
    // SAFETY: the host passes room for one `clap_audio_port_info`; zeroed is a valid one.
    unsafe {
        let Some(info) = info.as_mut() else {
            return false;
        };
        *info = std::mem::zeroed();
        info.id = 0;
        let name: &[u8] = if is_input { b"Audio In" } else { b"Audio Out" };
        ptr::copy_nonoverlapping(
            name.as_ptr().cast::<c_char>(),
            info.name.as_mut_ptr(),
            name.len(),
        );
        info.flags = CLAP_AUDIO_PORT_IS_MAIN;
        info.channel_count = 2;
        info.port_type = CLAP_PORT_STEREO.as_ptr();
        // No in-place pair: `render` copes with shared buffers, but need not be given them.
        info.in_place_pair = CLAP_INVALID_ID;
    }
    true
}

// ---- clap.note-ports (instruments): one input, CLAP notes or MIDI ------------------------

static NOTE_PORTS: clap_plugin_note_ports = clap_plugin_note_ports {
    count: Some(note_ports_count),
    get: Some(note_ports_get),
};

unsafe extern "C" fn note_ports_count(_plugin: *const clap_plugin, is_input: bool) -> u32 {
    u32::from(is_input)
}

unsafe extern "C" fn note_ports_get(
    _plugin: *const clap_plugin,
    index: u32,
    is_input: bool,
    info: *mut clap_note_port_info,
) -> bool {
    if !is_input || index != 0 {
        return false;
    }
    // SAFETY: the host passes room for one `clap_note_port_info`; zeroed is a valid one.
    unsafe {
        let Some(info) = info.as_mut() else {
            return false;
        };
        *info = std::mem::zeroed();
        info.id = 0;
        info.supported_dialects = CLAP_NOTE_DIALECT_CLAP | CLAP_NOTE_DIALECT_MIDI;
        info.preferred_dialect = CLAP_NOTE_DIALECT_CLAP;
        let name = b"Notes In";
        ptr::copy_nonoverlapping(
            name.as_ptr().cast::<c_char>(),
            info.name.as_mut_ptr(),
            name.len(),
        );
    }
    true
}

// ---- clap.latency (effects) -------------------------------------------------------------

static LATENCY: clap_plugin_latency = clap_plugin_latency {
    get: Some(latency_get),
};

unsafe extern "C" fn latency_get(plugin: *const clap_plugin) -> u32 {
    // SAFETY: a live instance.
    unsafe { this(plugin) }.latency.load(Ordering::Relaxed)
}
