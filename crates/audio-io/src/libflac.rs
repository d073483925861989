//! libFLAC, the reference FLAC encoder, loaded at run time where the system has it (Debian:
//! `libflac12`, which fluidsynth and libsndfile already pull in). It encodes some ten times
//! faster than flacenc at the same size, so a dataset written as FLAC costs about what it costs
//! as WAV; where libFLAC is missing, [`crate::flac`] falls back to flacenc (same samples,
//! other bytes). Nothing is linked at build time: the library is opened like Carla's.
//!
//! The encoder writes through our own callbacks into a buffered file, so that `flush` keeps a
//! partial file valid (whole frames) and libFLAC rewrites STREAMINFO (totals, MD5) at the end
//! through the seek callback.

use std::ffi::{c_int, c_uint, c_void};
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::OnceLock;

/// The encoder's compression level: libFLAC's and the `flac` command's default.
const COMPRESSION_LEVEL: c_uint = 5;

/// Sonames tried, newest first.
const SONAMES: [&str; 3] = ["libFLAC.so.12", "libFLAC.so.8", "libFLAC.so"];

type Encoder = c_void;
type WriteCallback =
    unsafe extern "C" fn(*const Encoder, *const u8, usize, c_uint, c_uint, *mut c_void) -> c_int;
type SeekCallback = unsafe extern "C" fn(*const Encoder, u64, *mut c_void) -> c_int;
type TellCallback = unsafe extern "C" fn(*const Encoder, *mut u64, *mut c_void) -> c_int;

/// libFLAC's stream encoder API (`FLAC/stream_encoder.h`).
struct Api {
    new: unsafe extern "C" fn() -> *mut Encoder,
    delete: unsafe extern "C" fn(*mut Encoder),
    set_channels: unsafe extern "C" fn(*mut Encoder, c_uint) -> c_int,
    set_bits_per_sample: unsafe extern "C" fn(*mut Encoder, c_uint) -> c_int,
    set_sample_rate: unsafe extern "C" fn(*mut Encoder, c_uint) -> c_int,
    set_compression_level: unsafe extern "C" fn(*mut Encoder, c_uint) -> c_int,
    init_stream: unsafe extern "C" fn(
        *mut Encoder,
        Option<WriteCallback>,
        Option<SeekCallback>,
        Option<TellCallback>,
        *const c_void,
        *mut c_void,
    ) -> c_int,
    process_interleaved: unsafe extern "C" fn(*mut Encoder, *const i32, c_uint) -> c_int,
    finish: unsafe extern "C" fn(*mut Encoder) -> c_int,
    get_state: unsafe extern "C" fn(*const Encoder) -> c_int,
    _library: libloading::Library,
}

// SAFETY: function pointers into a library that stays loaded; libFLAC's encoder functions are
// called on one encoder from one thread at a time (an `Encoder` is not `Sync`).
unsafe impl Send for Api {}
unsafe impl Sync for Api {}

impl Api {
    fn load() -> Option<Api> {
        // SAFETY: loading libFLAC runs no code of ours; its constructors only set up its own
        // tables.
        let library = SONAMES
            .iter()
            .find_map(|name| unsafe { libloading::Library::new(name) }.ok())?;
        // SAFETY: each symbol is given its declaration's type in `FLAC/stream_encoder.h`.
        unsafe {
            macro_rules! get {
                ($name:literal) => {
                    *library.get($name).ok()?
                };
            }
            Some(Api {
                new: get!(b"FLAC__stream_encoder_new\0"),
                delete: get!(b"FLAC__stream_encoder_delete\0"),
                set_channels: get!(b"FLAC__stream_encoder_set_channels\0"),
                set_bits_per_sample: get!(b"FLAC__stream_encoder_set_bits_per_sample\0"),
                set_sample_rate: get!(b"FLAC__stream_encoder_set_sample_rate\0"),
                set_compression_level: get!(b"FLAC__stream_encoder_set_compression_level\0"),
                init_stream: get!(b"FLAC__stream_encoder_init_stream\0"),
                process_interleaved: get!(b"FLAC__stream_encoder_process_interleaved\0"),
                finish: get!(b"FLAC__stream_encoder_finish\0"),
                get_state: get!(b"FLAC__stream_encoder_get_state\0"),
                _library: library,
            })
        }
    }
}

/// libFLAC, once per process (`None` where the system has none).
fn api() -> Option<&'static Api> {
    static API: OnceLock<Option<Api>> = OnceLock::new();
    API.get_or_init(Api::load).as_ref()
}

/// Whether libFLAC is there to encode with.
pub(crate) fn available() -> bool {
    api().is_some()
}

/// One file being encoded by libFLAC.
pub(crate) struct LibFlacFile {
    api: &'static Api,
    encoder: *mut Encoder,
    /// Where the callbacks write; boxed so its address stays put for libFLAC.
    output: Box<Output>,
    channels: usize,
}

// SAFETY: the encoder is used from one thread at a time (the writer's owner).
unsafe impl Send for LibFlacFile {}

/// The callbacks' state: the file and the first I/O error, reported after the call.
struct Output {
    file: BufWriter<File>,
    error: Option<std::io::Error>,
}

impl std::fmt::Debug for LibFlacFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibFlacFile")
            .field("channels", &self.channels)
            .finish()
    }
}

impl LibFlacFile {
    /// Creates `path` for `channels` channels of `bits`-bit samples; `None` without libFLAC.
    pub(crate) fn create(
        path: &Path,
        channels: u16,
        sample_rate: u32,
        bits: u8,
    ) -> Option<std::io::Result<LibFlacFile>> {
        let api = api()?;
        Some(Self::create_with(api, path, channels, sample_rate, bits))
    }

    fn create_with(
        api: &'static Api,
        path: &Path,
        channels: u16,
        sample_rate: u32,
        bits: u8,
    ) -> std::io::Result<LibFlacFile> {
        let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
        // SAFETY: a new encoder, owned by the value returned (deleted on drop).
        let encoder = unsafe { (api.new)() };
        if encoder.is_null() {
            return Err(std::io::Error::other("libFLAC could not create an encoder"));
        }
        let mut flac = LibFlacFile {
            api,
            encoder,
            output: Box::new(Output { file, error: None }),
            channels: usize::from(channels),
        };
        // SAFETY: a live encoder, not yet initialised; the client data is the boxed output,
        // which lives as long as the encoder.
        let initialised = unsafe {
            (api.set_channels)(encoder, c_uint::from(channels)) != 0
                && (api.set_bits_per_sample)(encoder, c_uint::from(bits)) != 0
                && (api.set_sample_rate)(encoder, sample_rate) != 0
                && (api.set_compression_level)(encoder, COMPRESSION_LEVEL) != 0
                && (api.init_stream)(
                    encoder,
                    Some(write_callback),
                    Some(seek_callback),
                    Some(tell_callback),
                    std::ptr::null(),
                    (&mut *flac.output as *mut Output).cast(),
                ) == 0
        };
        if !initialised {
            return Err(flac.failure("cannot start encoding"));
        }
        Ok(flac)
    }

    /// Encodes interleaved integer samples (whole frames).
    pub(crate) fn write(&mut self, samples: &[i32]) -> std::io::Result<()> {
        let frames = samples.len() / self.channels.max(1);
        if frames == 0 {
            return Ok(());
        }
        // SAFETY: a live, initialised encoder; `samples` holds `frames` whole frames.
        let done = unsafe {
            (self.api.process_interleaved)(self.encoder, samples.as_ptr(), frames as c_uint)
        };
        self.io_result()?;
        if done == 0 {
            return Err(self.failure("encoding failed"));
        }
        Ok(())
    }

    /// Writes what libFLAC has handed over so far to the file (whole frames).
    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        self.output.file.flush()
    }

    /// Encodes what is buffered, rewrites STREAMINFO (totals, MD5) and flushes the file.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        // SAFETY: a live, initialised encoder, finished once (then deleted on drop).
        let done = unsafe { (self.api.finish)(self.encoder) };
        self.io_result()?;
        if done == 0 {
            return Err(self.failure("could not finish the file"));
        }
        self.output.file.flush()
    }

    fn io_result(&mut self) -> std::io::Result<()> {
        self.output.error.take().map_or(Ok(()), Err)
    }

    fn failure(&self, what: &str) -> std::io::Error {
        // SAFETY: a live encoder.
        let state = unsafe { (self.api.get_state)(self.encoder) };
        std::io::Error::other(format!("libFLAC: {what} (encoder state {state})"))
    }
}

impl Drop for LibFlacFile {
    fn drop(&mut self) {
        // SAFETY: the encoder this value owns, deleted once (deleting finishes it if needed).
        unsafe { (self.api.delete)(self.encoder) };
    }
}

/// The callbacks' view of their client data.
///
/// # Safety
/// `data` is the `Output` an encoder was initialised with, alive and not used elsewhere
/// during the call.
unsafe fn output<'a>(data: *mut c_void) -> &'a mut Output {
    // SAFETY: by the caller.
    unsafe { &mut *data.cast::<Output>() }
}

unsafe extern "C" fn write_callback(
    _: *const Encoder,
    buffer: *const u8,
    bytes: usize,
    _samples: c_uint,
    _frame: c_uint,
    data: *mut c_void,
) -> c_int {
    // SAFETY: libFLAC passes the client data we gave and a buffer of `bytes` bytes.
    let (output, bytes) = unsafe { (output(data), std::slice::from_raw_parts(buffer, bytes)) };
    match output.file.write_all(bytes) {
        Ok(()) => 0,
        Err(error) => {
            output.error.get_or_insert(error);
            1 // FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR
        }
    }
}

unsafe extern "C" fn seek_callback(_: *const Encoder, offset: u64, data: *mut c_void) -> c_int {
    // SAFETY: as above.
    let output = unsafe { output(data) };
    match output.file.seek(SeekFrom::Start(offset)) {
        Ok(_) => 0,
        Err(error) => {
            output.error.get_or_insert(error);
            1 // FLAC__STREAM_ENCODER_SEEK_STATUS_ERROR
        }
    }
}

unsafe extern "C" fn tell_callback(
    _: *const Encoder,
    offset: *mut u64,
    data: *mut c_void,
) -> c_int {
    // SAFETY: as above; `offset` is libFLAC's to fill.
    let output = unsafe { output(data) };
    match output.file.stream_position() {
        Ok(position) => {
            // SAFETY: a valid pointer from libFLAC.
            unsafe { *offset = position };
            0
        }
        Err(error) => {
            output.error.get_or_insert(error);
            1 // FLAC__STREAM_ENCODER_TELL_STATUS_ERROR
        }
    }
}
