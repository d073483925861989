//! Opening JACK clients on a *named* server, finding ports by glob pattern and type, and
//! switching freewheel: what both the real-time player (`rt-core`) and the process supervisor
//! (`proc-supervisor`) need from JACK, in a crate below both.
//!
//! The jack crate opens clients on the default server only; pycarla-rs runs a private server per
//! render (or per parallel job), so clients must name theirs. `jack_client_open` takes the server
//! name as a variadic argument, which jack-sys does not bind: we fetch the symbol ourselves.

use std::ffi::{CString, c_char, c_int};

use jack::{Client, ClientOptions, PortFlags};

mod error;

pub use error::Error;

/// `JackServerName` from `jack/types.h`: the next variadic argument names the server.
const JACK_SERVER_NAME: c_int = 0x04;

type ClientOpen = unsafe extern "C" fn(
    *const c_char,
    jack_sys::jack_options_t,
    *mut jack_sys::jack_status_t,
    ...
) -> *mut jack_sys::jack_client_t;

/// Opens client `name` on the server called `server`, never starting a server.
///
/// ```no_run
/// let client = jack_client::open("probe", "my-server")?;
/// println!("{} Hz", client.sample_rate());
/// # Ok::<(), jack_client::Error>(())
/// ```
pub fn open(name: &str, server: &str) -> Result<Client, Error> {
    let library = jack_sys::library().map_err(|e| Error::Library(e.to_string()))?;
    route_jack_messages();
    // SAFETY: the symbol has the C signature declared by `ClientOpen` (jack/jack.h).
    let client_open: ClientOpen = unsafe {
        *library
            .get::<ClientOpen>(b"jack_client_open\0")
            .map_err(|e| Error::Library(e.to_string()))?
    };
    let open_error = |status: String| Error::Open {
        client: name.to_string(),
        server: server.to_string(),
        status,
    };
    let c_name = CString::new(name).map_err(|_| open_error("name holds a NUL byte".into()))?;
    let c_server =
        CString::new(server).map_err(|_| open_error("server name holds a NUL byte".into()))?;
    let options = ClientOptions::NO_START_SERVER.bits() as c_int | JACK_SERVER_NAME;
    let mut status: jack_sys::jack_status_t = 0;
    // SAFETY: valid C strings that outlive the call; `status` is a valid out pointer.
    let raw = unsafe {
        client_open(
            c_name.as_ptr(),
            options as jack_sys::jack_options_t,
            &mut status,
            c_server.as_ptr(),
        )
    };
    if raw.is_null() {
        let status = jack::ClientStatus::from_bits_truncate(status);
        return Err(open_error(format!("{status:?}")));
    }
    // SAFETY: `raw` is a client freshly opened by libjack and owned by nobody else.
    Ok(unsafe { Client::from_raw(raw) })
}

/// libjack prints its errors and information to stderr ("Cannot connect to server socket"
/// while probing a server that is still starting, for one); route them to `tracing` instead.
fn route_jack_messages() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    unsafe extern "C" fn to_tracing(message: *const c_char) {
        if !message.is_null() {
            // SAFETY: libjack passes a NUL-terminated string valid during the call.
            let text = unsafe { std::ffi::CStr::from_ptr(message) }.to_string_lossy();
            tracing::debug!(target: "libjack", "{text}");
        }
    }
    ONCE.call_once(|| {
        // SAFETY: plain setters of process-wide callbacks; the function lives forever.
        unsafe {
            jack_sys::jack_set_error_function(Some(to_tracing));
            jack_sys::jack_set_info_function(Some(to_tracing));
        }
    });
}

/// Which ports a glob may match: a synth is played through a MIDI input and recorded from its
/// audio outputs, so a glob as wide as `jalv:*` finds the right ones whatever they are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortKind {
    /// Every port.
    Any,
    /// MIDI ports that take input.
    MidiInput,
    /// Audio ports that give output.
    AudioOutput,
}

impl PortKind {
    fn type_and_flags(self) -> (Option<&'static str>, PortFlags) {
        match self {
            PortKind::Any => (None, PortFlags::empty()),
            PortKind::MidiInput => (Some(jack_sys::RAW_MIDI_TYPE), PortFlags::IS_INPUT),
            PortKind::AudioOutput => (Some(jack_sys::FLOAT_MONO_AUDIO), PortFlags::IS_OUTPUT),
        }
    }
}

/// All ports whose full name (`client:port`) matches the glob `pattern`, in JACK's order.
pub fn matching_ports(client: &Client, pattern: &str) -> Result<Vec<String>, Error> {
    matching_ports_of(client, pattern, PortKind::Any)
}

/// The ports of `kind` whose full name matches the glob `pattern`, in JACK's order.
pub fn matching_ports_of(
    client: &Client,
    pattern: &str,
    kind: PortKind,
) -> Result<Vec<String>, Error> {
    let glob = glob::Pattern::new(pattern).map_err(|e| Error::Pattern {
        pattern: pattern.to_string(),
        reason: e.to_string(),
    })?;
    let (port_type, flags) = kind.type_and_flags();
    Ok(client
        .ports(None, port_type, flags)
        .into_iter()
        .filter(|port| glob.matches(port))
        .collect())
}

/// Like [`matching_ports_of`] but at least one port must match.
pub fn require_ports(client: &Client, pattern: &str, kind: PortKind) -> Result<Vec<String>, Error> {
    let ports = matching_ports_of(client, pattern, kind)?;
    if ports.is_empty() {
        return Err(Error::NoPort {
            pattern: pattern.to_string(),
            present: client.ports(None, None, PortFlags::empty()).join(", "),
        });
    }
    Ok(ports)
}

/// A client name no other process uses: `<base>-<pid>-<n>`.
///
/// It must be unique on the machine, not only on its server: libjack binds a client's
/// notification socket at `/dev/shm/jack_<client>_<uid>_0`, a path without the server's name.
/// Two clients of one name opening at once on two servers unlink each other's socket, and one
/// of them fails ("Cannot bind server to socket", or `SERVER_ERROR` when the other server
/// answered).
pub fn unique_name(base: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "{base}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// [`unique_name`] for one of pycarla's own clients: `pycarla-<role>-<pid>-<n>`.
pub fn unique_client_name(role: &str) -> String {
    unique_name(&format!("pycarla-{role}"))
}

/// The client part of a full port name (`client:port` → `client`).
pub fn client_of(port: &str) -> &str {
    port.split_once(':').map_or(port, |(client, _)| client)
}

/// Turns freewheel mode on or off for the whole server.
///
/// jack 0.13 does not wrap `jack_set_freewheel`. JACK answers non-zero when the state does not
/// change; that is not an error for us (we asked for the state it is in), so it is only logged.
pub fn set_freewheel(client: &Client, on: bool) {
    // SAFETY: `client.raw()` is a valid, open client.
    let result = unsafe { jack_sys::jack_set_freewheel(client.raw(), c_int::from(on)) };
    if result != 0 {
        tracing::debug!(on, result, "jack_set_freewheel left the state unchanged");
    }
}

/// Asks the server to run at `frames` per period from now on (every client is told). `false`
/// when the server refuses (the size is not a power of two, or its driver cannot).
pub fn set_buffer_size(client: &Client, frames: u32) -> bool {
    // SAFETY: `client.raw()` is a valid, open client.
    let result = unsafe { jack_sys::jack_set_buffer_size(client.raw(), frames) };
    if result != 0 {
        tracing::debug!(frames, result, "jack_set_buffer_size refused");
    }
    result == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_of_splits_at_the_first_colon() {
        assert_eq!(super::client_of("Carla:audio-out1"), "Carla");
        assert_eq!(super::client_of("a:b:c"), "a");
        assert_eq!(super::client_of("plain"), "plain");
    }
}
