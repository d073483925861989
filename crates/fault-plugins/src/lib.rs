//! Misbehaving CLAP plugins, test fixtures for hosts that must survive them.
//!
//! One `.clap` file, one factory, these plugins:
//! - `org.pycarla.fixtures.crash-on-note`: a click instrument that raises SIGSEGV in
//!   `process` on a note-on of its "Crash Key" parameter;
//! - `org.pycarla.fixtures.hang-in-process`: a click instrument whose `process` never
//!   returns once a note-on arrives (sleeping, not spinning);
//! - `org.pycarla.fixtures.delay`: a stereo delay of "Delay" frames that reports them as
//!   its latency (a change takes effect at the next activation, as CLAP requires);
//! - `org.pycarla.fixtures.delay-1000`, `…delay-10000`: the same delay with a fixed length,
//!   its latency known from load on (see README).

mod dsp;
mod plugin;

use std::ffi::{CStr, c_char, c_void};
use std::ptr;

use clap_sys::entry::clap_plugin_entry;
use clap_sys::factory::plugin_factory::{CLAP_PLUGIN_FACTORY_ID, clap_plugin_factory};
use clap_sys::host::clap_host;
use clap_sys::plugin::{clap_plugin, clap_plugin_descriptor};
use clap_sys::plugin_features::{
    CLAP_PLUGIN_FEATURE_AUDIO_EFFECT, CLAP_PLUGIN_FEATURE_DELAY, CLAP_PLUGIN_FEATURE_INSTRUMENT,
    CLAP_PLUGIN_FEATURE_SYNTHESIZER,
};
use clap_sys::version::CLAP_VERSION;

/// What one plugin of this file does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    CrashOnNote,
    HangInProcess,
    /// A delay whose length is its "Delay" parameter.
    Delay,
    /// A delay of this many frames, with no parameter: its latency is known from creation on.
    FixedDelay(u32),
}

/// A null-terminated list of C strings that can live in a `static` (raw pointers are not
/// `Sync`, but these point at string literals that never change).
struct Features<const N: usize>([*const c_char; N]);
// SAFETY: the pointers are to immutable `'static` C string literals.
unsafe impl<const N: usize> Sync for Features<N> {}

static INSTRUMENT: Features<3> = Features([
    CLAP_PLUGIN_FEATURE_INSTRUMENT.as_ptr(),
    CLAP_PLUGIN_FEATURE_SYNTHESIZER.as_ptr(),
    ptr::null(),
]);
static EFFECT: Features<3> = Features([
    CLAP_PLUGIN_FEATURE_AUDIO_EFFECT.as_ptr(),
    CLAP_PLUGIN_FEATURE_DELAY.as_ptr(),
    ptr::null(),
]);

const fn descriptor(
    id: &'static CStr,
    name: &'static CStr,
    description: &'static CStr,
    features: &'static [*const c_char],
) -> clap_plugin_descriptor {
    clap_plugin_descriptor {
        clap_version: CLAP_VERSION,
        id: id.as_ptr(),
        name: name.as_ptr(),
        vendor: c"pycarla-rs fixtures".as_ptr(),
        url: c"".as_ptr(),
        manual_url: c"".as_ptr(),
        support_url: c"".as_ptr(),
        version: c"0.1.0".as_ptr(),
        description: description.as_ptr(),
        features: features.as_ptr(),
    }
}

/// Every plugin of the factory, in the order hosts list them.
static PLUGINS: [(Kind, clap_plugin_descriptor); 5] = [
    (
        Kind::CrashOnNote,
        descriptor(
            c"org.pycarla.fixtures.crash-on-note",
            c"Crash On Note",
            c"Clicks on every note; raises SIGSEGV on a note-on of its Crash Key",
            &INSTRUMENT.0,
        ),
    ),
    (
        Kind::HangInProcess,
        descriptor(
            c"org.pycarla.fixtures.hang-in-process",
            c"Hang In Process",
            c"Never returns from process once it receives a note-on",
            &INSTRUMENT.0,
        ),
    ),
    (
        Kind::Delay,
        descriptor(
            c"org.pycarla.fixtures.delay",
            c"Delay",
            c"Delays its input by Delay frames and reports them as latency",
            &EFFECT.0,
        ),
    ),
    (
        Kind::FixedDelay(1000),
        descriptor(
            c"org.pycarla.fixtures.delay-1000",
            c"Delay 1000",
            c"Delays its input by 1000 frames and reports them as latency",
            &EFFECT.0,
        ),
    ),
    (
        Kind::FixedDelay(10000),
        descriptor(
            c"org.pycarla.fixtures.delay-10000",
            c"Delay 10000",
            c"Delays its input by 10000 frames and reports them as latency",
            &EFFECT.0,
        ),
    ),
];

/// Runs `f`, turning a panic into `fallback`: unwinding out of an `extern "C"` function would
/// abort the host, which would look like the very crash these fixtures fake on purpose.
pub(crate) fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(fallback)
}

unsafe extern "C" fn factory_count(_factory: *const clap_plugin_factory) -> u32 {
    PLUGINS.len() as u32
}

unsafe extern "C" fn factory_descriptor(
    _factory: *const clap_plugin_factory,
    index: u32,
) -> *const clap_plugin_descriptor {
    PLUGINS
        .get(index as usize)
        .map_or(ptr::null(), |(_, desc)| desc as *const _)
}

unsafe extern "C" fn factory_create(
    _factory: *const clap_plugin_factory,
    host: *const clap_host,
    plugin_id: *const c_char,
) -> *const clap_plugin {
    if host.is_null() || plugin_id.is_null() {
        return ptr::null();
    }
    guard(ptr::null(), || {
        // SAFETY: the host passes a valid C string.
        let wanted = unsafe { CStr::from_ptr(plugin_id) };
        PLUGINS
            .iter()
            // SAFETY: our descriptors' ids are C string literals.
            .find(|(_, desc)| unsafe { CStr::from_ptr(desc.id) } == wanted)
            .map_or(ptr::null(), |(kind, desc)| {
                plugin::Plugin::create(host, desc, *kind)
            })
    })
}

static FACTORY: clap_plugin_factory = clap_plugin_factory {
    get_plugin_count: Some(factory_count),
    get_plugin_descriptor: Some(factory_descriptor),
    create_plugin: Some(factory_create),
};

unsafe extern "C" fn entry_init(_plugin_path: *const c_char) -> bool {
    true
}

unsafe extern "C" fn entry_deinit() {}

unsafe extern "C" fn entry_get_factory(factory_id: *const c_char) -> *const c_void {
    if factory_id.is_null() {
        return ptr::null();
    }
    // SAFETY: the host passes a valid C string.
    if unsafe { CStr::from_ptr(factory_id) } == CLAP_PLUGIN_FACTORY_ID {
        (&raw const FACTORY).cast()
    } else {
        ptr::null()
    }
}

/// The symbol CLAP hosts look up in the file.
#[allow(non_upper_case_globals)]
#[unsafe(no_mangle)]
pub static clap_entry: clap_plugin_entry = clap_plugin_entry {
    clap_version: CLAP_VERSION,
    init: Some(entry_init),
    deinit: Some(entry_deinit),
    get_factory: Some(entry_get_factory),
};
